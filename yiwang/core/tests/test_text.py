from yiwang.core.text import chunks, initials, normalize, pinyin, segmenter


def test_normalize_folds_width_case_and_punctuation():
    assert normalize("  ＳＨＥＢＡＯ卡！！怎么办？ ") == "shebao卡 怎么办"
    assert normalize("a" * 300, max_length=100) == "a" * 100
    assert normalize("") == ""


def test_chunks_split_han_and_latin_runs():
    assert chunks("开ktv要办什么 2024") == ["开", "ktv", "要办什么", "2024"]


def test_pinyin_and_initials():
    assert pinyin("社保卡") == "shebaoka"
    assert initials("社保卡") == "sbk"


def test_added_words_stay_whole():
    segmenter.add_words(["咕咕本本"])
    assert "咕咕本本" in segmenter.cut_words("我要办咕咕本本")
