#pragma once
// An elliptical Gaussian beam (the restoring beam of CLEAN, the fitted main lobe
// of a PSF, BMAJ/BMIN/BPA of a FITS header).
namespace penumbra {

struct Beam {
  double bmaj = 0, bmin = 0;  // FWHM, radians
  double bpa = 0;             // position angle, radians, East of North
};

}  // namespace penumbra
