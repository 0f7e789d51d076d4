from app.core.codes import new_code, normalize_code


def test_codes_are_unique_and_well_formed():
    codes = {new_code() for _ in range(2000)}

    assert len(codes) == 2000
    assert all(normalize_code(code) == code for code in codes)


def test_citizens_can_type_codes_loosely():
    code = new_code()
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")

    assert normalize_code(typed) == code


def test_a_mistyped_character_is_caught():
    code = new_code()
    body = code.replace("-", "")[3:]
    wrong = "A" if body[2] != "A" else "B"

    assert normalize_code(code[:6] + wrong + code[7:]) is None


def test_garbage_is_not_a_code():
    assert normalize_code("") is None
    assert normalize_code("HCM-1234") is None
    assert normalize_code("'; drop table cases; --") is None
