#pragma once
// uvtable text files (frank / galario): five columns u [λ], v [λ], Re V [Jy],
// Im V [Jy], weight [Jy⁻²]; '#' comments; plain, .bz2 or .gz (by suffix).
// Values follow the CASA sign convention and are conjugated on read/write.
#include <filesystem>
#include <string>

#include "src/core/observation.hpp"

namespace penumbra {

// One channel, one correlation (Stokes I), frequency_known = false unless
// `wavelength_m` > 0 is given (then freq = c / wavelength and uvw in metres).
Observation read_uvtable(const std::filesystem::path& path, double wavelength_m = 0);
void write_uvtable(const std::filesystem::path& path, const VisibilitySet& vis);

// The same from text already in memory; `name` is used in error messages.
Observation parse_uvtable(const std::string& text, const std::string& name, double wavelength_m = 0);
// The wavelength [m] stated in a header comment such as frank's
// "# wavelength[m] = 0.0013034", or 0 when there is none.
double uvtable_header_wavelength(const std::string& text);

}  // namespace penumbra
