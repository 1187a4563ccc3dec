"""Image-quality metrics: pure functions over numpy arrays, each documenting the equation it implements.

- :mod:`.fidelity`: PSNR and SSIM against a noise-free reference.
- :mod:`.nema`: NEMA NU 2-2018 hot-sphere contrast recovery and background variability.
- :mod:`.iec_layout`: the IEC body phantom's six spheres found in an image (plane, ring, rotation, centres).
- :mod:`.sphere_fit`: blurred uniform spheres; a joint fit of the spheres' true activity, background and PSF.
- :mod:`.recovery`: RC_max and RC_a50 (background-adapted 50 % isocontour); the EARL 2 bands.
- :mod:`.iec_background`: background ROIs placed in an IEC phantom and their pooled voxel CoV.
- :mod:`.ensemble`: ensemble lesion bias and voxel-wise CoV over noise realisations (TGD paper, Eq. 10–11).
- :mod:`.contrast`: CRC and background STD, CRC-vs-STD curves (Gong et al. 2019, Eq. 6–7).
- :mod:`.suv`: SUVmax, SUVmean, SUVpeak and their preservation by processing.
- :mod:`.noise`: coefficient of variation, noise autocorrelation FWHM.
- :mod:`.rois`: circular ROIs on the voxel grid.
"""

from imaging.metrics.contrast import CrcStdPoint, background_std, contrast_recovery, crc_std_curve
from imaging.metrics.ensemble import ensemble_lesion_bias, ensemble_voxel_cov
from imaging.metrics.fidelity import psnr, ssim
from imaging.metrics.iec_background import BackgroundStats, background_cov, background_roi_centres
from imaging.metrics.iec_layout import IecLayout, locate_iec_spheres
from imaging.metrics.nema import BACKGROUND_SLICE_OFFSETS_MM, NemaSphereResult, nema_image_quality
from imaging.metrics.noise import coefficient_of_variation, noise_autocorrelation_fwhm
from imaging.metrics.recovery import SphereRecovery, sphere_recovery
from imaging.metrics.rois import circular_roi_mask
from imaging.metrics.sphere_fit import SphereFit, fit_sphere_activity
from imaging.metrics.suv import SuvPreservation, suv_max, suv_mean, suv_peak, suv_preservation

__all__ = [
    "BACKGROUND_SLICE_OFFSETS_MM",
    "BackgroundStats",
    "CrcStdPoint",
    "IecLayout",
    "NemaSphereResult",
    "SphereFit",
    "SphereRecovery",
    "SuvPreservation",
    "background_cov",
    "background_roi_centres",
    "background_std",
    "circular_roi_mask",
    "coefficient_of_variation",
    "contrast_recovery",
    "crc_std_curve",
    "ensemble_lesion_bias",
    "ensemble_voxel_cov",
    "fit_sphere_activity",
    "locate_iec_spheres",
    "nema_image_quality",
    "noise_autocorrelation_fwhm",
    "psnr",
    "sphere_recovery",
    "ssim",
    "suv_max",
    "suv_mean",
    "suv_peak",
    "suv_preservation",
]
