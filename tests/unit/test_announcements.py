"""The differences an announcement lists, computed from two snapshots (pure)."""

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.publishing.announcements import Snapshot, differences, documents_needed


def doc(**changes) -> ElementDocument:
    return ElementDocument(**({"name": "样例事项", "item_type": "licensing"} | changes))


def test_a_new_version_with_the_same_elements_is_not_a_change():
    before = Snapshot(entries={1: 10}, items={5: (50, "published")})
    after = Snapshot(entries={1: 10}, items={5: (51, "published")})
    assert documents_needed(before, after) == {("item", 50), ("item", 51)}
    same = {("item", 50): doc(), ("item", 51): doc()}
    assert differences(before, after, same) == []


def test_added_changed_and_cancelled_entries_and_items():
    before = Snapshot(entries={1: 10, 2: 20}, items={5: (50, "published"), 6: (60, "published")})
    after = Snapshot(entries={1: 11, 3: 30}, items={5: (50, "suspended"), 7: (70, "published")})
    documents = {
        ("entry", 10): doc(name="甲"),
        ("entry", 11): doc(name="甲(新)"),
    }
    found = [(d.subject, d.subject_id, d.change) for d in differences(before, after, documents)]
    assert found == [
        ("entry", 1, "changed"),
        ("entry", 2, "cancelled"),
        ("entry", 3, "added"),
        ("item", 5, "changed"),
        ("item", 6, "cancelled"),
        ("item", 7, "added"),
    ]
    changes = {d.subject_id: d for d in differences(before, after, documents)}
    assert [e.element for e in changes[1].elements] == ["name"]
    assert changes[1].elements[0].before == "甲" and changes[1].elements[0].after == "甲(新)"
    (status,) = changes[5].elements
    assert (status.element, status.before, status.after) == ("status", "在用", "暂停")


def test_snapshots_survive_json():
    snap = Snapshot(entries={1: 10}, items={5: (50, "suspended")})
    assert Snapshot.from_json(snap.to_json()) == snap
    assert Snapshot.from_json(None) == Snapshot()
