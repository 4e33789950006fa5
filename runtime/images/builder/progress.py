"""What a build reports while it runs, as typed records; runtime/api renders them into Docker's JSON stream."""

from dataclasses import dataclass

from runtime.images.builder.runner import StepProfile


@dataclass(frozen=True, slots=True)
class StepStarted:
    number: int
    total: int
    text: str  # the instruction as written


@dataclass(frozen=True, slots=True)
class StepImage:
    image_id: str  # ` ---> <short id>`: the image the step ended with


@dataclass(frozen=True, slots=True)
class CacheHit:
    pass


@dataclass(frozen=True, slots=True)
class ContainerStarted:
    container_id: str


@dataclass(frozen=True, slots=True)
class ContainerRemoved:
    container_id: str


@dataclass(frozen=True, slots=True)
class Output:
    data: bytes  # a RUN step's output


@dataclass(frozen=True, slots=True)
class StepCost:
    profile: StepProfile
    layer_bytes: int


@dataclass(frozen=True, slots=True)
class Notice:
    text: str  # a warning line, as Docker prints `[Warning] ...`


@dataclass(frozen=True, slots=True)
class Built:
    image_id: str


@dataclass(frozen=True, slots=True)
class Tagged:
    name: str


Progress = (
    StepStarted
    | StepImage
    | CacheHit
    | ContainerStarted
    | ContainerRemoved
    | Output
    | StepCost
    | Notice
    | Built
    | Tagged
)
