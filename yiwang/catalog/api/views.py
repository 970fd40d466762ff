from rest_framework.generics import ListAPIView


class DepartmentList(ListAPIView):
    pass


ItemList = ItemDetail = LifeEventList = LifeEventDetail = DepartmentList
