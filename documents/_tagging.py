"""The page furniture as pagination artifacts of the tagged PDF (the PDF/UA side of PDF/A-3a).

WeasyPrint 70 tags every text box it paints, margin boxes included: each piece of text is
painted inside ``/Span <</MCID n>> BDC ... EMC`` and gets a structure element, mapped from its
MCID in the parent tree.  For the margin boxes (``@page { @bottom-left { ... } }``), it builds
those structure elements but leaves them out of the tree (``weasyprint/pdf/tags.py``: "it could
be included in tree as Artifact, but that's only allowed in PDF 2.0"): orphan ``/StructElem``
objects, whose text a reader of the structure never reaches but which the content stream still
marks as content.  Only backgrounds, borders and shadows are painted as artifacts (plain
``/Artifact BMC``).

coopflow's templates put all the page furniture in margin boxes: the running footer (document
reference, page number), the PROJET header of a draft and its diagonal watermark (running
elements, ``position: running()`` / ``element()``, see ``coopflow.css``).  :func:`tag_furniture`,
called by the renderer's finisher on WeasyPrint's PDF objects before they are written, then:

* turns every marked-content sequence whose structure element is not in the structure tree
  into ``/Artifact <</Type /Pagination /Subtype /Header|/Footer|/Watermark>> BDC ... EMC``:
  the subtype is that of the margin box the text comes from (``@top-*``: header, ``@bottom-*``:
  footer, a box holding a ``.watermark`` element: watermark; otherwise no subtype);
* numbers the MCIDs that remain on each page from 0 again, in the content streams, in their
  structure elements and in the parent tree (one entry a MCID, no hole);
* replaces the orphan structure elements by ``null`` objects (pydyf writes every object it
  holds, by number: an object cannot be dropped, but nothing refers to these any more), and
  unlinks from the parent tree any annotation (a link) of a margin box.

Everything is done in the order of WeasyPrint's objects: the output stays deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import pydyf
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder

#: The class of the element whose margin box is the document's watermark.
WATERMARK_CLASS: Final = "watermark"


class _Null(pydyf.Object):  # type: ignore[misc]  # pydyf ships no type information
    """The PDF ``null`` object, standing where an orphan structure element was."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number

    @property
    def data(self) -> bytes:
        return b"null"


def _number(reference: bytes | str) -> int:
    """The object number of a pydyf reference (``b"12 0 R"``)."""
    text = reference.decode("ascii") if isinstance(reference, bytes) else reference
    return int(text.split()[0])


def _kids(element: Any) -> list[Any]:
    kids = element.get("K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, list) else [kids]


def tag_furniture(document: Any, pdf: Any) -> None:
    """Make the margin boxes' content pagination artifacts (see the module's documentation).

    ``document`` is the WeasyPrint document, ``pdf`` the pydyf PDF that WeasyPrint built from it,
    not written yet.  A PDF without a structure tree, or whose every structure element is in the
    tree, is left as it is.
    """
    if "StructTreeRoot" not in pdf.catalog:
        return
    objects = pdf.objects
    root = objects[_number(pdf.catalog["StructTreeRoot"])]
    reachable = _reachable(objects, root)
    orphans: list[Any] = [
        obj
        for obj in objects
        if isinstance(obj, dict) and obj.get("Type") == "/StructElem" and id(obj) not in reachable
    ]
    if not orphans:
        return
    nums = objects[_number(root["ParentTree"])]["Nums"]
    parent_tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for reference, page in zip(pdf.page_references, document.pages, strict=True):
        page_dict = objects[_number(reference)]
        mapping = parent_tree.get(page_dict.get("StructParents"))
        if isinstance(mapping, list):
            _mark_artifacts(objects, reachable, page_dict, page, mapping)
    _unlink_annotations(objects, reachable, nums)
    for orphan in orphans:
        objects[orphan.number] = _Null(orphan.number)


def _mark_artifacts(
    objects: list[Any], reachable: set[int], page_dict: Any, page: Any, mapping: list[Any]
) -> None:
    """Turn the page's marked contents whose element is out of the tree into artifacts, and
    number the others' MCIDs from 0 again (content, structure elements, parent tree)."""
    marks = dict(_marked_contents(objects, page_dict))
    subtypes = _furniture_subtypes(objects, reachable, page, mapping)
    renumbered: dict[int, int] = {}
    for mcid, entry in enumerate(mapping):
        items, index = marks[mcid]
        if id(objects[_number(entry)]) in reachable:
            renumbered[mcid] = len(renumbered)
            items[index]["MCID"] = renumbered[mcid]
            continue
        properties = items[index]
        properties.clear()
        properties["Type"] = "/Pagination"
        if mcid in subtypes:
            properties["Subtype"] = subtypes[mcid]
        items[index - 1] = "/Artifact"
    holders = {
        id(element): element for element in (objects[_number(mapping[m])] for m in renumbered)
    }
    for element in holders.values():
        element["K"][:] = [renumbered[kid] if isinstance(kid, int) else kid for kid in element["K"]]
    mapping[:] = [mapping[old] for old in renumbered]


def _unlink_annotations(objects: list[Any], reachable: set[int], nums: list[Any]) -> None:
    """Drop the parent tree's entries of annotations (links) whose element is out of the tree:
    a link in a margin box, now an artifact (coopflow's templates have none)."""
    dropped: set[int] = set()
    for i in range(0, len(nums), 2):
        entry = nums[i + 1]
        if not isinstance(entry, list) and id(objects[_number(entry)]) not in reachable:
            dropped.add(int(nums[i]))
    if not dropped:
        return
    nums[:] = [
        item
        for i in range(0, len(nums), 2)
        if int(nums[i]) not in dropped
        for item in nums[i : i + 2]
    ]
    for obj in objects:
        if (
            isinstance(obj, dict)
            and obj.get("Type") == "/Annot"
            and obj.get("StructParent") in dropped
        ):
            del obj["StructParent"]


def _reachable(objects: list[Any], root: Any) -> set[int]:
    """The ``id()`` of every structure element reachable from the StructTreeRoot."""
    found: set[int] = set()
    pending = [objects[_number(kid)] for kid in _kids(root)]
    while pending:
        element = pending.pop()
        if not isinstance(element, dict) or element.get("Type") != "/StructElem":
            continue  # an object reference (/OBJR) of a link or a form field
        if id(element) in found:
            continue
        found.add(id(element))
        pending.extend(
            objects[_number(kid)] for kid in _kids(element) if isinstance(kid, bytes | str)
        )
    return found


def _marked_contents(objects: list[Any], page_dict: Any) -> Iterator[tuple[int, tuple[Any, int]]]:
    """``(MCID, (operations, index))`` of each MCID's property list in the page's content.

    The content stream is the page's pydyf stream, a list of operations: a marked content with
    an MCID is the three items ``"/Span"``, ``Dictionary({"MCID": n})``, ``b"BDC"``.  Form
    XObjects the page paints (groups: opacity, masks) are searched too: WeasyPrint numbers their
    MCIDs with the page's.
    """
    pending = [(objects[_number(page_dict["Contents"])], page_dict["Resources"])]
    seen: set[int] = set()
    while pending:
        stream, resources = pending.pop(0)
        if id(stream) in seen:
            continue
        seen.add(id(stream))
        if not isinstance(resources, dict):
            resources = objects[_number(resources)]
        xobjects = resources.get("XObject") or {}
        items = stream.stream
        for index, item in enumerate(items):
            if isinstance(item, dict) and "MCID" in item:
                if not (
                    0 < index < len(items) - 1
                    and isinstance(items[index - 1], str)
                    and items[index + 1] == b"BDC"
                ):
                    raise ValueError(f"unexpected marked content around {item!r}")
                yield int(item["MCID"]), (items, index)
            elif isinstance(item, bytes) and item.endswith(b" Do"):
                target = xobjects.get(item[1:-3].decode("ascii"))
                xobject = objects[_number(target)] if isinstance(target, bytes | str) else None
                if isinstance(xobject, pydyf.Stream) and xobject.extra.get("Subtype") == "/Form":
                    pending.append((xobject, xobject.extra.get("Resources", resources)))


def _furniture_subtypes(
    objects: list[Any], reachable: set[int], page: Any, mapping: list[Any]
) -> dict[int, str]:
    """The pagination subtype of each MCID of the page's margin boxes.

    WeasyPrint builds the structure elements of a page's margin boxes after those of its text,
    margin box after margin box in the page's order, and one element holding an MCID for each
    text (or replaced) box, in the order of the box tree.  So the orphan elements of the page,
    in the order they were created (their object numbers), hold the margin boxes' MCIDs in that
    order.  If the counts do not match (another WeasyPrint), no subtype is given: the content
    is still an artifact, of type ``/Pagination``.
    """
    holders = {
        element.number: element
        for element in (objects[_number(entry)] for entry in mapping)
        if id(element) not in reachable
    }
    in_order = [
        kid for number in sorted(holders) for kid in holders[number]["K"] if isinstance(kid, int)
    ]
    boxes_subtypes: list[str | None] = []
    for margin_box in page._page_box.children:
        if isinstance(margin_box, boxes.MarginBox):
            subtype = _margin_subtype(margin_box)
            boxes_subtypes.extend([subtype] * _marked_box_count(margin_box))
    if len(boxes_subtypes) != len(in_order):
        return {}
    return {
        mcid: subtype
        for mcid, subtype in zip(in_order, boxes_subtypes, strict=True)
        if subtype is not None
    }


def _descendants(box: Any) -> Iterator[Any]:
    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    yield box
    if isinstance(box, boxes.ParentBox):
        for child in box.children:
            yield from _descendants(child)


def _marked_box_count(margin_box: Any) -> int:
    """How many MCIDs WeasyPrint gives a margin box: one a text box or replaced box."""
    return sum(
        isinstance(box, boxes.TextBox | boxes.ReplacedBox) for box in _descendants(margin_box)
    )


def _margin_subtype(margin_box: Any) -> str | None:
    for box in _descendants(margin_box):
        element = box.element
        if element is not None and WATERMARK_CLASS in (element.get("class") or "").split():
            return "/Watermark"
    keyword: str = margin_box.at_keyword
    if keyword.startswith("@top"):
        return "/Header"
    if keyword.startswith("@bottom"):
        return "/Footer"
    return None
