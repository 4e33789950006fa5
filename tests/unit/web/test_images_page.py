"""The Images page over a fake engine: the list (tags, size, layers), an image's layers and the step profile
of its build, an image no build made, an engine without the profile endpoint (Docker), a missing image."""

import pytest

IMAGE_ID = "sha256:" + "ab" * 32
BASE_ID = "sha256:" + "cd" * 32


@pytest.fixture
def images(engine):
    engine.image_details = {
        IMAGE_ID: {
            "Id": IMAGE_ID,
            "RepoTags": ["app:1", "app:latest"],
            "Created": "2026-12-07T10:00:00Z",
            "Size": 3_000_000,
            "Os": "linux",
            "Architecture": "amd64",
            "RootFS": {"Layers": ["sha256:l1", "sha256:l2"]},
        },
        BASE_ID: {
            "Id": BASE_ID,
            "RepoTags": [],
            "Created": "2026-12-01T10:00:00Z",
            "Size": 2_000_000,
            "Os": "linux",
            "Architecture": "amd64",
            "RootFS": {"Layers": ["sha256:l1"]},
        },
    }
    engine.image_history = {
        IMAGE_ID: [
            {"Id": IMAGE_ID, "CreatedBy": "/bin/sh -c make && make install", "Size": 1_000_000},
            {"Id": "<missing>", "CreatedBy": "import", "Size": 2_000_000},
        ]
    }
    engine.profiles = {
        IMAGE_ID: {
            "Id": IMAGE_ID,
            "Steps": [
                {
                    "Image": IMAGE_ID,
                    "CreatedBy": "/bin/sh -c make && make install",
                    "WallSeconds": 12.5,
                    "CpuSeconds": 20.25,
                    "PeakMemoryBytes": 300_000_000,
                    "WrittenBytes": 1_500_000,
                    "LayerBytes": 1_000_000,
                }
            ],
        }
    }
    return engine


def test_list_shows_tags_sizes_and_layers(http, images):
    page = http.get("/images").get_data(as_text=True)
    assert "app:1" in page and "app:latest" in page and "&lt;none&gt;:&lt;none&gt;" in page
    assert "abababababab" in page and "2.9 MiB" in page
    assert page.index("app:1") < page.index("cdcdcdcdcdcd")  # newest first
    assert 'href="/images"' in http.get("/").get_data(as_text=True)  # the navigation links to it


def test_image_page_shows_layers_and_the_step_profile(http, images):
    page = http.get(f"/images/{IMAGE_ID}").get_data(as_text=True)
    assert "make &amp;&amp; make install" in page and "import" in page
    assert 'id="step-profile"' in page and "12.50 s" in page and "20.25 s" in page and "286.1 MiB" in page


def test_image_no_build_made_and_an_engine_without_profiles(http, images):
    assert "No build on this engine made this image" in http.get(f"/images/{BASE_ID}").get_data(as_text=True)
    images.profiles = None
    page = http.get(f"/images/{IMAGE_ID}").get_data(as_text=True)
    assert "keeps no step profiles" in page and "make &amp;&amp; make install" in page


def test_missing_image_is_404_and_a_failing_engine_is_said(http, images):
    assert http.get("/images/sha256:" + "00" * 32).status_code == 404
    images.down = True
    assert "the engine failed" in http.get("/images").get_data(as_text=True)
