"""The container list's filter: `name:web image:nginx state:running label:tier=front words`, parsed once.

Every term must match. `name:` and `image:` match a part of the name or image, case aside; `state:` the
start of the state (`state:run`); `label:KEY` a label's presence and `label:KEY=VALUE` its value; a bare
word a part of the name, the image or the id. The list filters as one types, so a term still being typed
(`name:`) is ignored rather than refused; only an unknown key is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.records import ContainerRecord
from web.errors import InvalidOption

KEYS = ("name", "image", "state", "label")


@dataclass(frozen=True, slots=True)
class ContainerFilter:
    names: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    states: tuple[str, ...] = ()  # any of them, as prefixes
    labels: tuple[tuple[str, str | None], ...] = ()  # (key, value or None for "has the label")
    words: tuple[str, ...] = ()

    def matches(self, record: ContainerRecord) -> bool:
        name, image = record.name.lower(), record.image.lower()
        if self.states and not any(record.state.startswith(state) for state in self.states):
            return False
        if not all(part in name for part in self.names) or not all(part in image for part in self.images):
            return False
        for key, value in self.labels:
            if key not in record.labels or (value is not None and record.labels[key] != value):
                return False
        return all(word in name or word in image or record.id.startswith(word) for word in self.words)


def parse_filter(text: str) -> ContainerFilter:
    names: list[str] = []
    images: list[str] = []
    states: list[str] = []
    labels: list[tuple[str, str | None]] = []
    words: list[str] = []
    for term in text.split():
        key, sep, value = term.partition(":")
        if not sep:
            words.append(term.lower())
            continue
        key = key.lower()
        if key not in KEYS:
            raise InvalidOption(f"web: invalid filter {term!r}: unknown key {key!r}, expected one of {', '.join(KEYS)}")
        if not value:
            continue
        if key == "name":
            names.append(value.lower())
        elif key == "image":
            images.append(value.lower())
        elif key == "state":
            states.append(value.lower())
        else:
            label_key, has_value, label_value = value.partition("=")
            labels.append((label_key, label_value if has_value else None))
    return ContainerFilter(tuple(names), tuple(images), tuple(states), tuple(labels), tuple(words))
