def index_items(codes):
    pass


def index_life_events(codes):
    pass
