"""The face descriptor on the labelled set shipped with scikit-image: the same person under other crops,
light, compression and a mirror stays below the threshold; other people stay above it; no face is said so."""

from __future__ import annotations

import pytest
from django.conf import settings
from PIL import Image

from smz.faceid import embedding
from smz.faceid.embedding import Embedding, NoFace, distance, embed, vector_decode
from smz.testing.faceid import astronaut, in_frame, jpeg, lfw_face, variants


@pytest.fixture(scope="module")
def enrolled() -> Embedding:
    found = embed(jpeg(astronaut()))
    assert isinstance(found, Embedding)
    return found


@pytest.mark.parametrize("name", sorted(variants(astronaut())))
@pytest.mark.parametrize("quality", [85, 30])
def test_same_person_under_crops_light_compression_mirror_is_matched(enrolled, name, quality):
    found = embed(jpeg(variants(astronaut())[name], quality))
    assert isinstance(found, Embedding)
    assert distance(enrolled.vector, found.vector) < settings.SMZ_FACEID_THRESHOLD


@pytest.mark.parametrize("index", [0, 1, 2, 3, 5, 6, 7, 8])
def test_different_people_are_not_matched(enrolled, index):
    found = embed(jpeg(in_frame(lfw_face(index))))
    assert isinstance(found, Embedding)
    assert distance(enrolled.vector, found.vector) >= settings.SMZ_FACEID_THRESHOLD


def test_the_largest_face_is_the_one_described(enrolled):
    """A bystander's smaller face in the same snapshot does not replace the person in front."""
    frame = Image.new("RGB", (1200, 820), (120, 130, 140))
    frame.paste(astronaut().resize((800, 800)), (10, 10))  # her face ≈ 140 px
    frame.paste(lfw_face(1, side=130), (980, 300))  # his ≈ 110 px: found too, but smaller
    found = embed(jpeg(frame))
    assert isinstance(found, Embedding)
    assert distance(enrolled.vector, found.vector) < settings.SMZ_FACEID_THRESHOLD
    alone = embed(jpeg(in_frame(lfw_face(1, side=130))))
    assert isinstance(alone, Embedding)
    assert distance(enrolled.vector, alone.vector) >= settings.SMZ_FACEID_THRESHOLD


def test_no_face_is_no_usable_face():
    assert embed(jpeg(Image.new("RGB", (640, 480), (120, 140, 160)))) == NoFace("no_face")
    assert embed(jpeg(astronaut().resize((80, 80)))) == NoFace("too_small")
    assert embed(b"not an image") == NoFace("undecodable")
    # a face too small to tell people apart (25 px as shot) is not used, even though it is a face
    tiny = in_frame(lfw_face(0, side=30))
    assert embed(jpeg(tiny)) == NoFace("no_face")


def test_vectors_round_trip_and_distances_are_checked(enrolled):
    assert len(enrolled.vector) == embedding.DIMENSIONS
    back = vector_decode(enrolled.encode())
    assert distance(back, enrolled.vector) < 1e-6  # float32 storage
    with pytest.raises(ValueError):
        vector_decode("AAAA")
    with pytest.raises(ValueError):
        distance(back[:3], back)


def test_models_come_from_the_installed_package():
    folder = embedding.models_dir()
    assert (folder / "dlib_face_recognition_resnet_model_v1.dat").stat().st_size > 20_000_000
    assert (folder / "shape_predictor_5_face_landmarks.dat").is_file()
