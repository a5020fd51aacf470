import pytest

from collector.params import UUID, Choice, Identifier, Integer, Name, ParamError

SENTINEL = "SENTINEL\r\n<script>{x}"


@pytest.mark.parametrize("ptype", [Integer(), UUID(), Identifier(), Name(),
                                   Choice({"a": "phrase a"})])
def test_error_never_echoes_the_value(ptype):
    with pytest.raises(ParamError) as exc:
        ptype.check(SENTINEL)
    assert "SENTINEL" not in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("ptype", [Integer(1, 5), UUID(), Identifier(8), Name(8),
                                   Choice({"x": "y"})])
def test_example_passes_its_own_check(ptype):
    assert ptype.check(ptype.example())
    assert len(ptype.check(ptype.example())) <= ptype.max_length


class TestInteger:
    def test_in_range(self):
        assert Integer(1, 10).check(10) == "10"

    @pytest.mark.parametrize("value", [True, 1.0, "5", None, [5]])
    def test_only_ints(self, value):
        with pytest.raises(ParamError, match="expected an integer"):
            Integer().check(value)

    @pytest.mark.parametrize("value", [0, 11, -1, 10**30])
    def test_range(self, value):
        with pytest.raises(ParamError, match="out of range 1..10"):
            Integer(1, 10).check(value)

    def test_spec_and_length(self):
        assert Integer(-5, 100).spec == "integer[-5..100]"
        assert Integer(-5, 100).max_length == 3
        with pytest.raises(ValueError):
            Integer(5, 1)


class TestUUID:
    def test_lowercases(self):
        assert UUID().check("2F1E0C5E-7C4B-4A55-9A0E-3B8D6C1F4A20") == \
            "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20"

    @pytest.mark.parametrize("value", ["2f1e0c5e7c4b4a559a0e3b8d6c1f4a20",
                                       "{2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20}",
                                       "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a2g",
                                       "2f1e0c5e-7c4b-4a55-9a0e-3b8d6c1f4a20\n", 5, ""])
    def test_refuses_non_canonical(self, value):
        with pytest.raises(ParamError):
            UUID().check(value)


class TestIdentifier:
    @pytest.mark.parametrize("value", ["m1.small", "ssd-fast", "a", "x:y@z_1"])
    def test_accepts(self, value):
        assert Identifier().check(value) == value

    @pytest.mark.parametrize("value", ["has space", "<script>", "{x}", "$x", "%s", "a\nb",
                                       "", "-leading", "é", "x" * 65, 3])
    def test_refuses(self, value):
        with pytest.raises(ParamError):
            Identifier().check(value)


class TestName:
    @pytest.mark.parametrize("value", ["my volume (prod)", "Café", "数据库", "db#1, copy"])
    def test_accepts(self, value):
        assert Name().check(value) == value

    def test_composes_decomposed_accents(self):
        assert Name().check("Cafe\u0301") == "Café"

    @pytest.mark.parametrize("value", ["two  spaces", " leading", "trailing ", "x\u202ey",
                                       "zero\u200bwidth", "<b>x</b>", "it's", 'say "hi"',
                                       "a\tb", "a\x00b", "{x}", "$x", "100%", "x" * 65])
    def test_refuses(self, value):
        with pytest.raises(ParamError):
            Name().check(value)


class TestChoice:
    def test_renders_the_phrase_not_the_value(self):
        assert Choice({"no_capacity": "not enough room"}).check("no_capacity") == \
            "not enough room"

    def test_unknown_value_lists_allowed_ones(self):
        with pytest.raises(ParamError, match="allowed values: a, b"):
            Choice({"b": "B", "a": "A"}).check("c")

    def test_spec(self):
        assert Choice({"b": "B", "a": "A"}).spec == "choice[a|b]"
