"""Docker image references: parsing, normalisation and the familiar form clients print.

Follows distribution/reference (the grammar moby uses): `busybox` == `docker.io/library/busybox:latest`.
The texts of the errors are Docker's, because clients and people match on them.
"""

import re
from dataclasses import dataclass

from runtime.errors import InvalidParameter

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_MAX_LENGTH = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
TAG_PATTERN = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"({_NAME})(?::({TAG_PATTERN.pattern}))?(?:@({_DIGEST}))?")
FULL_ID = re.compile(r"[a-f0-9]{64}")
DIGEST_ID = re.compile(r"sha256:([a-f0-9]{64})")


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A normalised named reference: `name` is fully qualified, e.g. `docker.io/library/busybox`."""

    name: str
    tag: str | None = None
    digest: str | None = None

    def with_default_tag(self) -> "ImageReference":
        if self.tag is None and self.digest is None:
            return ImageReference(self.name, DEFAULT_TAG)
        return self

    @property
    def familiar_name(self) -> str:
        """The short name Docker prints: `busybox`, `me/app`, `quay.io/x/y`."""
        if not self.name.startswith(DEFAULT_DOMAIN + "/"):
            return self.name
        remainder = self.name[len(DEFAULT_DOMAIN) + 1 :]
        if remainder.startswith(OFFICIAL_PREFIX) and "/" not in remainder[len(OFFICIAL_PREFIX) :]:
            return remainder[len(OFFICIAL_PREFIX) :]
        return remainder

    def familiar(self) -> str:
        """`busybox:latest`, the form of RepoTags and of `Untagged:` lines."""
        text = self.familiar_name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def full(self) -> str:
        """`docker.io/library/busybox:latest`, the form of containerd's image name annotation."""
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def _split_domain(text: str) -> tuple[str, str]:
    slash = text.find("/")
    first = text[:slash]
    if slash == -1 or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, text
    else:
        domain, remainder = first, text[slash + 1 :]
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


def parse_reference(text: str) -> ImageReference:
    """Parse and normalise `text` as Docker's ParseNormalizedNamed does; no default tag is added."""
    if FULL_ID.fullmatch(text):
        raise InvalidParameter(f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
    if not text:
        raise InvalidParameter("invalid reference format: repository name must have at least one component")
    domain, remainder = _split_domain(text)
    remote_name = remainder.split(":", 1)[0].split("@", 1)[0]
    if remote_name.lower() != remote_name:
        raise InvalidParameter(f"invalid reference format: repository name ({remote_name}) must be lowercase")
    match = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if match is None:
        raise InvalidParameter(f'invalid reference format: "{text}" is not a valid repository/tag')
    name, tag, digest = match.groups()
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidParameter(
            f"invalid reference format: repository name ({name}) must not be more than {NAME_MAX_LENGTH} characters"
        )
    return ImageReference(name, tag, digest)


def parse_repo_and_tag(repo: str, tag: str | None) -> ImageReference:
    """The target of `docker tag` / `import REPO[:TAG]`: repo may carry its own tag; latest by default."""
    parsed = parse_reference(repo)
    if parsed.digest is not None:
        raise InvalidParameter(f"invalid reference format: refusing to create a tag with a digest reference ({repo})")
    if parsed.familiar_name == "sha256" or parsed.name.endswith("/sha256"):
        raise InvalidParameter(
            f"invalid reference format: refusing to create an ambiguous tag using digest algorithm as name ({repo})"
        )
    if tag:
        if not TAG_PATTERN.fullmatch(tag):
            raise InvalidParameter(f"invalid tag format: {tag!r} must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}")
        parsed = ImageReference(parsed.name, tag)
    return parsed.with_default_tag()


def id_from_digest_text(text: str) -> str | None:
    """`sha256:<64hex>` for a full id given bare or prefixed, else None (it may be a name or a prefix)."""
    if FULL_ID.fullmatch(text):
        return f"sha256:{text}"
    if DIGEST_ID.fullmatch(text):
        return text
    return None
