"""What a name means in the image index: `docker`'s rules for resolving a reference to an image id, and for
choosing what `docker save` writes. Pure functions over ImageIndex; the store calls them under its lock."""

import re

from runtime.errors import NotFound
from runtime.images.imageindex import ImageIndex
from runtime.images.reference import ImageReference, id_from_digest_text, parse_reference
from runtime.images.save import ImageToSave

_HEX = re.compile(r"[a-f0-9]+")


def resolve_id(index: ImageIndex, reference: str) -> str:
    """By name[:tag], name@digest, `sha256:<hex>`, 64-hex id or unique id prefix; NotFound("No such image: …")."""
    full_id = id_from_digest_text(reference)
    if full_id is not None:
        if full_id in index.configs:
            return full_id
        raise NotFound(f"No such image: {full_id}")
    parsed = parse_reference(reference).with_default_tag()
    image_id = index.tags.get(parsed.familiar())
    if parsed.digest is not None:
        image_id = index.digests.get(f"{parsed.familiar_name}@{parsed.digest}")
    if image_id is not None:
        return image_id
    prefix = reference.removeprefix("sha256:")
    if _HEX.fullmatch(prefix):
        matches = [i for i in index.configs if i.removeprefix("sha256:").startswith(prefix)]
        if len(matches) == 1:
            return matches[0]
    raise NotFound(f"No such image: {parsed.familiar()}")


def images_to_save(index: ImageIndex, references: list[str] | tuple[str, ...]) -> list[ImageToSave]:
    chosen: dict[str, list[ImageReference]] = {}
    for text in references:
        for image_id, tag in _save_selection(index, text):
            tags = chosen.setdefault(image_id, [])
            if tag is not None and tag not in tags:
                tags.append(tag)
    return [
        ImageToSave(image_id, index.config_bytes(image_id), index.configs[image_id], tags)
        for image_id, tags in chosen.items()
    ]


def _save_selection(index: ImageIndex, text: str) -> list[tuple[str, ImageReference | None]]:
    """As Docker: a bare name saves all its tags, name:tag that tag, an id the image without tags."""
    if id_from_digest_text(text) is None:
        parsed = parse_reference(text)
        if parsed.tag is None and parsed.digest is None:
            same_repo = [parse_reference(t) for t in sorted(index.tags)]
            selected = [(index.tags[r.familiar()], r) for r in same_repo if r.name == parsed.name]
            if selected:
                return selected  # type: ignore[return-value]
        elif parsed.familiar() in index.tags:
            return [(index.tags[parsed.familiar()], parsed)]
    return [(resolve_id(index, text), None)]
