"""The content of the scores SR: TID 1501 measurement groups, TID 4019 algorithm identifications, TID 1002 observer.

Score group (one per scored series), TID 1501 "Measurement and Qualitative Evaluation Group"
    Tracking Identifier (:data:`~imaging.dicom.sr.codes.INPUT_GROUP` / ``OUTPUT_GROUP``) and a new tracking UID;
    Algorithm Identification of the scorer (when known); one IMAGE "Source of Measurement" item per instance of
    the series; per rating (GQR, PR, DC) a TID 300 NUM in ``{score}`` holding the rounded rating, whose
    uncertainty is a TID 310/311 measurement property: "Standard deviation of population" (DCM 121414), the
    spread of the predictions over the image patches, in ``{score}``, with a Population Description naming the
    number of patches; per rating the unrounded prediction as a NUM of its own (``GQR-RAW`` ...); and the
    calibration as a TEXT item (``99PETIQ CALIBRATION``, TID 1501 free-text qualitative evaluation).

QC group
    Tracking Identifier :data:`~imaging.dicom.sr.codes.QC_GROUP`; Algorithm Identification of the denoiser whose
    output the QC measures, with its processing parameters (e.g. the strength level and its blend weight); IMAGE
    items for every instance of both series; a NUM per non-null QC number
    (:data:`~imaging.dicom.sr.codes.QC_MEASURES`); a TEXT item "Comment" (DCM 121106, TID 1501 free-text
    qualitative evaluation) per note of the job (result.json ``notes``: approximations made, what could not be done,
    e.g. no SUV or no scores, and why).

Each group comes in two parts (:class:`MeasurementGroup`): the head (highdicom's group: tracking identifier,
algorithm, measurements) goes into the document highdicom builds, and the tail (the IMAGE items, then the TEXT
items) is appended to the group's container afterwards (:mod:`imaging.dicom.sr.assemble`): highdicom's SR
constructor deep-copies, parses and searches its whole content, which with an IMAGE item per instance costs more
than everything else the SR needs. Head plus tail is exactly the group highdicom builds with ``source_images``
(which it appends after the measurements) and the TEXT items appended after them.

Pure functions from typed values to highdicom content; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highdicom as hd
from pydicom.sr.codedict import codes

from imaging.dicom.derived import AlgorithmIdentity
from imaging.dicom.sr.codes import (
    CALIBRATION,
    QC_MEASURES,
    SCORE_CODES,
    SCORE_UNIT,
    UNROUNDED_CODES,
    ScoreName,
)
from imaging.dicom.sr.inputs import ScorerIdentity, SeriesScores
from imaging.dicom.sr.references import InstanceReference

__all__ = [
    "MeasurementGroup",
    "denoiser_identification",
    "observation_context",
    "qc_group",
    "score_group",
    "scorer_identification",
]


def denoiser_identification(*, algorithm: AlgorithmIdentity) -> hd.sr.AlgorithmIdentification:
    """TID 4019 of the denoiser: its name, version, manufacturer; parameters (TEXT "Algorithm Parameters" items):
    the description, each processing parameter as ``name=value`` (e.g. ``strength=medium``, ``blend=0.75``) and
    the Device UID."""
    return hd.sr.AlgorithmIdentification(
        name=algorithm.name,
        version=algorithm.version,
        manufacturer=algorithm.manufacturer,
        parameters=[algorithm.description, *algorithm.parameter_texts, f"DeviceUID={algorithm.device_uid}"],
    )


def scorer_identification(*, scorer: ScorerIdentity) -> hd.sr.AlgorithmIdentification:
    """TID 4019 of the quality scorer: name, version; parameters: weights digest and calibration label."""
    parameters = [
        f"{label}={value}"
        for label, value in (("sha256", scorer.sha256), ("calibration", scorer.calibration))
        if value is not None
    ]
    return hd.sr.AlgorithmIdentification(
        name=scorer.name, version=scorer.version, manufacturer="petiq", parameters=parameters or None
    )


def observation_context(*, algorithm: AlgorithmIdentity) -> hd.sr.ObservationContext:
    """TID 1002 with a device observer: petiq, identified by the denoiser's Device UID (new weights, new device)."""
    device = hd.sr.DeviceObserverIdentifyingAttributes(
        uid=algorithm.device_uid, name="petiq", manufacturer_name=algorithm.manufacturer, model_name=algorithm.name
    )
    return hd.sr.ObservationContext(
        observer_device_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Device, observer_identifying_attributes=device
        )
    )


@dataclass(frozen=True, kw_only=True)
class MeasurementGroup:
    """A TID 1501 group in two parts (module docstring): ``head`` for highdicom's document, ``tail`` to append to the
    group's container, found in the document by ``tracking_uid``."""

    head: hd.sr.MeasurementsAndQualitativeEvaluations
    tail: tuple[hd.sr.ContentItem, ...]
    tracking_uid: str


def _source_images(images: Sequence[InstanceReference]) -> list[hd.sr.SourceImageForMeasurementGroup]:
    return [
        hd.sr.SourceImageForMeasurementGroup(
            referenced_sop_class_uid=image.sop_class_uid, referenced_sop_instance_uid=image.sop_instance_uid
        )
        for image in images
    ]


def _spread(*, value: float, n_patches: int | None) -> hd.sr.MeasurementProperties:
    """TID 310 with TID 311: the standard deviation of the patch predictions, in ``{score}``."""
    deviation = hd.sr.NumContentItem(
        name=codes.DCM.StandardDeviationOfPopulation,
        value=value,
        unit=SCORE_UNIT,
        relationship_type=hd.sr.RelationshipTypeValues.HAS_PROPERTIES,
    )
    patches = "image patches" if n_patches is None else f"{n_patches} image patches"
    statistics = hd.sr.MeasurementStatisticalProperties(
        values=[deviation], description=f"predictions of the quality scorer on {patches} of the series"
    )
    return hd.sr.MeasurementProperties(measurement_statistical_properties=statistics)


def _score_measurements(scores: SeriesScores) -> list[hd.sr.Measurement]:
    rated = [
        hd.sr.Measurement(
            name=SCORE_CODES[score],
            value=scores.values[score],
            unit=SCORE_UNIT,
            properties=_spread(value=scores.uncertainty[score], n_patches=scores.n_patches),
        )
        for score in ScoreName
    ]
    raw = scores.unrounded or {}
    unrounded = [hd.sr.Measurement(name=UNROUNDED_CODES[score], value=raw[score], unit=SCORE_UNIT) for score in raw]
    return rated + unrounded


def score_group(
    *, label: str, scores: SeriesScores, images: Sequence[InstanceReference], scorer: ScorerIdentity | None
) -> MeasurementGroup:
    """The TID 1501 group of one series' ``scores`` (module docstring); ``images``: the series' instances."""
    uid = hd.UID()
    head = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=uid, identifier=label),
        algorithm_id=None if scorer is None else scorer_identification(scorer=scorer),
        measurements=_score_measurements(scores),
    )
    calibration = hd.sr.TextContentItem(
        name=CALIBRATION,
        value=scores.calibration,
        relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
    )
    return MeasurementGroup(head=head, tail=(*_source_images(images), calibration), tracking_uid=str(uid))


def qc_group(
    *,
    label: str,
    qc: Mapping[str, float],
    images: Sequence[InstanceReference],
    algorithm: AlgorithmIdentity,
    notes: Sequence[str] = (),
) -> MeasurementGroup:
    """The TID 1501 QC group: a NUM per entry of ``qc`` (keys of ``QC_MEASURES``, values as in result.json) and a
    TEXT "Comment" per entry of ``notes``."""
    measurements = [
        hd.sr.Measurement(name=measure.code, value=qc[measure.key] * measure.factor, unit=measure.unit)
        for measure in QC_MEASURES
        if measure.key in qc
    ]
    uid = hd.UID()
    head = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=uid, identifier=label),
        algorithm_id=denoiser_identification(algorithm=algorithm),
        measurements=measurements,
    )
    comments = [
        hd.sr.TextContentItem(
            name=codes.DCM.Comment, value=note, relationship_type=hd.sr.RelationshipTypeValues.CONTAINS
        )
        for note in notes
    ]
    return MeasurementGroup(head=head, tail=(*_source_images(images), *comments), tracking_uid=str(uid))
