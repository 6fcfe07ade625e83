import copy
import pytest
from corridor.keys.tests.testapp.models import Person, Note
pytestmark = pytest.mark.django_db

def test_deepcopy_and_copy_of_a_read_record():
    p = Person.objects.create(name="x", other_name="y")
    loaded = Person.objects.select_related("data_key").get(pk=p.pk)
    assert loaded.name == "x"
    twin = copy.deepcopy(loaded)
    assert (twin.name, twin.other_name) == ("x", "y")
    shallow = copy.copy(loaded)
    shallow.name = "z"
    assert loaded.name == "x"
    n = Note.objects.create(person=p, body="b")
    assert copy.deepcopy(Note.objects.select_related("person__data_key").get(pk=n.pk)).body == "b"
