#include "src/io/measurement_set.hpp"

#include <casacore/casa/Arrays/Array.h>
#include <casacore/casa/Arrays/Matrix.h>
#include <casacore/casa/Arrays/Vector.h>
#include <casacore/casa/Exceptions/Error.h>
#include <casacore/measures/Measures/MFrequency.h>
#include <casacore/ms/MeasurementSets/MSColumns.h>
#include <casacore/ms/MeasurementSets/MeasurementSet.h>
#include <casacore/tables/DataMan/TiledShapeStMan.h>
#include <casacore/tables/Tables/ArrayColumn.h>
#include <casacore/tables/Tables/RowNumbers.h>
#include <casacore/tables/Tables/ScalarColumn.h>
#include <casacore/tables/Tables/SetupNewTab.h>
#include <casacore/tables/Tables/Table.h>
#include <casacore/tables/Tables/TableRecord.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/units.hpp"
#include "src/io/describe.hpp"

namespace penumbra {
namespace cc = casacore;

namespace {

// casacore messages can span lines; the CLI promises one line.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// Copies a casacore array (Fortran order) into a std::vector in storage order:
// a [ncorr, nchan, nrow] casacore cube becomes [row][chan][corr] in C order.
template <class T, class U = T>
std::vector<U> to_vector(const cc::Array<T>& a) {
  std::vector<U> out(a.nelements());
  bool del;
  const T* p = a.getStorage(del);
  std::copy(p, p + a.nelements(), out.begin());
  a.freeStorage(p, del);
  return out;
}

// Opens the main table of an MS, or says in one line why it is not one.
cc::Table open_ms(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw MissingInputError(fmt::format("MeasurementSet not found: {}", path.string()));
  if (!std::filesystem::is_directory(path, ec))
    throw DataError(fmt::format("{}: not a MeasurementSet (a MeasurementSet is a directory; this is a file)", path.string()));
  if (!std::filesystem::exists(path / "table.dat", ec))
    throw DataError(fmt::format("{}: not a MeasurementSet (no table.dat: not a casacore table)", path.string()));
  cc::Table t;
  try {
    t = cc::Table(path.string(), cc::TableLock(cc::TableLock::AutoNoReadLocking), cc::Table::Old);
  } catch (const cc::AipsError& e) {
    throw DataError(fmt::format("{}: cannot open as a casacore table: {}", path.string(), one_line(e.what())));
  }
  for (const char* col : {"UVW", "ANTENNA1", "ANTENNA2", "DATA_DESC_ID", "FIELD_ID", "FLAG", "WEIGHT"})
    if (!t.tableDesc().isColumn(col))
      throw DataError(fmt::format("{}: not a MeasurementSet: main table has no {} column", path.string(), col));
  for (const char* sub : {"SPECTRAL_WINDOW", "DATA_DESCRIPTION", "POLARIZATION", "FIELD"})
    if (!t.keywordSet().isDefined(sub))
      throw DataError(fmt::format("{}: not a MeasurementSet: no {} subtable", path.string(), sub));
  return t;
}

cc::Table subtable(const cc::Table& t, const std::string& name, const std::filesystem::path& path) {
  try {
    return t.keywordSet().asTable(name);
  } catch (const cc::AipsError& e) {
    throw DataError(fmt::format("{}: cannot open subtable {}: {}", path.string(), name, one_line(e.what())));
  }
}

std::vector<int> int_column(const cc::Table& t, const std::string& col) {
  cc::ScalarColumn<cc::Int> c(t, col);
  return to_vector<cc::Int, int>(c.getColumn());
}

// The metadata of the spectral setup: DATA_DESCRIPTION → SPECTRAL_WINDOW, POLARIZATION.
struct SpectralSetup {
  std::vector<int> dd_spw, dd_pol;                 // [ddid]
  std::vector<std::vector<double>> spw_freq;       // [spw][chan] Hz
  std::vector<std::vector<int>> pol_corr;          // [pol][corr] CASA Stokes codes
  std::vector<int> spw_frame;                      // [spw] MEAS_FREQ_REF (-1 when absent)
};

SpectralSetup read_setup(const cc::Table& t, const std::filesystem::path& path) {
  SpectralSetup s;
  cc::Table dd = subtable(t, "DATA_DESCRIPTION", path);
  s.dd_spw = int_column(dd, "SPECTRAL_WINDOW_ID");
  s.dd_pol = int_column(dd, "POLARIZATION_ID");
  cc::Table spw = subtable(t, "SPECTRAL_WINDOW", path);
  cc::ArrayColumn<cc::Double> chan_freq(spw, "CHAN_FREQ");
  for (cc::rownr_t r = 0; r < spw.nrow(); ++r)
    s.spw_freq.push_back(chan_freq.isDefined(r) ? to_vector(chan_freq.get(r)) : std::vector<double>{});
  s.spw_frame.assign(spw.nrow(), -1);
  if (spw.tableDesc().isColumn("MEAS_FREQ_REF")) s.spw_frame = int_column(spw, "MEAS_FREQ_REF");
  cc::Table pol = subtable(t, "POLARIZATION", path);
  cc::ArrayColumn<cc::Int> corr_type(pol, "CORR_TYPE");
  for (cc::rownr_t r = 0; r < pol.nrow(); ++r)
    s.pol_corr.push_back(corr_type.isDefined(r) ? to_vector<cc::Int, int>(corr_type.get(r)) : std::vector<int>{});
  for (std::size_t d = 0; d < s.dd_spw.size(); ++d) {
    if (s.dd_spw[d] < 0 || static_cast<std::size_t>(s.dd_spw[d]) >= s.spw_freq.size())
      throw DataError(fmt::format("{}: DATA_DESCRIPTION row {} points to SPECTRAL_WINDOW_ID {} but SPECTRAL_WINDOW has "
                                  "{} rows", path.string(), d, s.dd_spw[d], s.spw_freq.size()));
    if (s.dd_pol[d] < 0 || static_cast<std::size_t>(s.dd_pol[d]) >= s.pol_corr.size())
      throw DataError(fmt::format("{}: DATA_DESCRIPTION row {} points to POLARIZATION_ID {} but POLARIZATION has {} rows",
                                  path.string(), d, s.dd_pol[d], s.pol_corr.size()));
  }
  return s;
}

struct FieldInfo {
  std::vector<std::string> name;
  std::vector<double> ra, dec;
};

FieldInfo read_fields(const cc::Table& t, const std::filesystem::path& path) {
  FieldInfo f;
  cc::Table field = subtable(t, "FIELD", path);
  cc::ScalarColumn<cc::String> name(field, "NAME");
  cc::ArrayColumn<cc::Double> dir(field, "PHASE_DIR");
  for (cc::rownr_t r = 0; r < field.nrow(); ++r) {
    f.name.push_back(name.get(r));
    auto d = to_vector(dir.get(r));  // [2, NUM_POLY+1]: the constant term first
    if (d.size() < 2) throw DataError(fmt::format("{}: FIELD row {} has a PHASE_DIR with {} values, expected 2", path.string(), r, d.size()));
    f.ra.push_back(d[0]);
    f.dec.push_back(d[1]);
  }
  return f;
}

std::string list_ints(const std::set<int>& s) { return s.empty() ? "none" : fmt::format("{}", fmt::join(s, ", ")); }

}  // namespace

namespace {

void require_data_column(const cc::Table& t, const std::string& column, const std::string& name) {
  if (t.tableDesc().isColumn(column)) return;
  std::vector<std::string> have;
  for (const char* c : {"DATA", "CORRECTED_DATA", "MODEL_DATA", "FLOAT_DATA"})
    if (t.tableDesc().isColumn(c)) have.emplace_back(c);
  throw DataError(fmt::format("{}: no column {} (data columns present: {})", name, column,
                              have.empty() ? "none" : fmt::format("{}", fmt::join(have, ", "))));
}

std::vector<std::uint8_t> flag_row_column(const cc::Table& t) {
  if (!t.tableDesc().isColumn("FLAG_ROW")) return std::vector<std::uint8_t>(t.nrow(), 0);
  return to_vector<cc::Bool, std::uint8_t>(cc::ScalarColumn<cc::Bool>(t, "FLAG_ROW").getColumn());
}

void check_data_desc_ids(const std::vector<int>& ddid, const SpectralSetup& setup, const std::string& name) {
  for (std::size_t r = 0; r < ddid.size(); ++r)
    if (ddid[r] < 0 || static_cast<std::size_t>(ddid[r]) >= setup.dd_spw.size())
      throw DataError(fmt::format("{}: row {} has DATA_DESC_ID {} but DATA_DESCRIPTION has {} rows", name, r, ddid[r],
                                  setup.dd_spw.size()));
}

// The per-row indices of the main table that a selection looks at.
struct MainIndex {
  std::vector<int> ddid, field;
  std::vector<std::uint8_t> flag_row;
};

// What a selection resolved to: spectral window, data description, field and
// the main-table rows they hold.
struct ResolvedSelection {
  int spw = -1, dd = -1, field = -1;
  std::vector<cc::rownr_t> rows;
};

// Spectral window: the requested one, or the lowest-numbered one that has rows
// (in the requested field, if any).
int select_spw(const MainIndex& ix, const SpectralSetup& setup, const MsSelection& sel, const std::string& name) {
  std::set<int> spws_with_rows;
  for (std::size_t r = 0; r < ix.ddid.size(); ++r)
    if (sel.field < 0 || ix.field[r] == sel.field) spws_with_rows.insert(setup.dd_spw[ix.ddid[r]]);
  if (sel.spw < 0) {
    if (spws_with_rows.empty()) throw DataError(fmt::format("{}: field {} has no rows", name, sel.field));
    return *spws_with_rows.begin();
  }
  if (!spws_with_rows.count(sel.spw))
    throw DataError(fmt::format("{}: spectral window {} has no rows{} (spectral windows with rows: {})", name, sel.spw,
                                sel.field >= 0 ? fmt::format(" in field {}", sel.field) : "",
                                list_ints(spws_with_rows)));
  return sel.spw;
}

// Field: the requested one, or the lowest-numbered field with rows in this data
// description, preferring one that is not entirely flagged (a calibrator field
// flagged out is common and useless for imaging).
// dd < 0: any data description.
int select_field(const MainIndex& ix, int dd, int requested) {
  if (requested >= 0) return requested;
  std::map<int, bool> any_unflagged;  // field → has an unflagged row
  for (std::size_t r = 0; r < ix.ddid.size(); ++r)
    if (dd < 0 || ix.ddid[r] == dd) any_unflagged[ix.field[r]] = any_unflagged[ix.field[r]] || !ix.flag_row[r];
  for (auto& [f, ok] : any_unflagged)
    if (ok) return f;
  return any_unflagged.begin()->first;
}

void check_field_id(int field, const FieldInfo& fields, bool requested, const std::string& name) {
  if (field >= 0 && static_cast<std::size_t>(field) < fields.name.size()) return;
  if (requested)
    throw DataError(fmt::format("{}: field {} requested but FIELD has {} rows", name, field, fields.name.size()));
  throw DataError(fmt::format("{}: rows refer to FIELD_ID {} but FIELD has {} rows", name, field, fields.name.size()));
}

ResolvedSelection resolve_selection(const MainIndex& ix, const SpectralSetup& setup, const FieldInfo& fields,
                                    const MsSelection& sel, const std::string& name) {
  if (sel.field >= 0) check_field_id(sel.field, fields, true, name);
  ResolvedSelection out;
  out.spw = select_spw(ix, setup, sel, name);
  // The first DATA_DESCRIPTION of that window that has rows (several exist
  // when one window was observed with different polarisation setups).
  for (std::size_t r = 0; r < ix.ddid.size() && out.dd < 0; ++r)
    if (setup.dd_spw[ix.ddid[r]] == out.spw && (sel.field < 0 || ix.field[r] == sel.field)) out.dd = ix.ddid[r];
  out.field = select_field(ix, out.dd, sel.field);
  check_field_id(out.field, fields, false, name);
  for (std::size_t r = 0; r < ix.ddid.size(); ++r)
    if (ix.ddid[r] == out.dd && ix.field[r] == out.field) out.rows.push_back(r);
  return out;
}

// DATA (or the selected column) and FLAG of the selected rows, in the internal
// sign convention.
void read_visibilities(const cc::Table& t, const cc::Table& s, const std::string& column,
                       const std::vector<cc::rownr_t>& rows, Observation& obs, const std::string& name) {
  const cc::IPosition cell(2, static_cast<ssize_t>(obs.ncorr), static_cast<ssize_t>(obs.nchan));
  if (t.tableDesc()[column].dataType() != cc::TpComplex || !t.tableDesc()[column].isArray())
    throw DataError(fmt::format("{}: column {} does not hold complex arrays (visibilities)", name, column));
  cc::ArrayColumn<cc::Complex> data(s, column);
  for (cc::rownr_t r = 0; r < s.nrow(); ++r) {
    if (!data.isDefined(r))
      throw DataError(fmt::format("{}: column {} is empty (row {} has no data)", name, column, rows[r]));
    if (!data.shape(r).isEqual(cell))
      throw DataError(fmt::format("{}: column {} row {} has shape {}, expected [{}, {}] (correlations, channels)",
                                  name, column, rows[r], data.shape(r).toString(), obs.ncorr, obs.nchan));
  }
  obs.vis = to_vector(data.getColumn());
  // Stored in the CASA sign convention: conjugate into the internal one.
  for (auto& v : obs.vis) v = std::conj(v);
  obs.flag = to_vector<cc::Bool, std::uint8_t>(cc::ArrayColumn<cc::Bool>(s, "FLAG").getColumn());
  if (obs.flag.size() != obs.vis.size())
    throw DataError(fmt::format("{}: FLAG has {} values for {} data values", name, obs.flag.size(), obs.vis.size()));
}

// Weights: WEIGHT_SPECTRUM when every selected row holds one, else WEIGHT
// repeated over channels (the column often exists with no cells defined).
void read_weights(const cc::Table& t, const cc::Table& s, Observation& obs, const std::string& name) {
  const cc::IPosition cell(2, static_cast<ssize_t>(obs.ncorr), static_cast<ssize_t>(obs.nchan));
  if (t.tableDesc().isColumn("WEIGHT_SPECTRUM") && t.tableDesc()["WEIGHT_SPECTRUM"].dataType() == cc::TpFloat) {
    cc::ArrayColumn<cc::Float> ws(s, "WEIGHT_SPECTRUM");
    bool spectrum = true;
    for (cc::rownr_t r = 0; r < s.nrow() && spectrum; ++r) spectrum = ws.isDefined(r) && ws.shape(r).isEqual(cell);
    if (spectrum) {
      obs.weight = to_vector(ws.getColumn());
      return;
    }
    log().debug("{}: WEIGHT_SPECTRUM present but empty; using WEIGHT", name);
  }
  auto w = to_vector(cc::ArrayColumn<cc::Float>(s, "WEIGHT").getColumn());
  if (w.size() != obs.nrow * obs.ncorr)
    throw DataError(fmt::format("{}: WEIGHT has {} values for {} rows × {} correlations", name, w.size(), obs.nrow,
                                obs.ncorr));
  obs.weight.resize(obs.vis.size());
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 0; ch < obs.nchan; ++ch)
      for (std::size_t c = 0; c < obs.ncorr; ++c) obs.weight[obs.index(r, ch, c)] = w[r * obs.ncorr + c];
}

// UVW, antennas, TIME and INTERVAL of the selected rows.
void read_row_metadata(const cc::Table& s, Observation& obs, const std::string& name) {
  obs.uvw = to_vector(cc::ArrayColumn<cc::Double>(s, "UVW").getColumn());
  if (obs.uvw.size() != 3 * obs.nrow)
    throw DataError(fmt::format("{}: UVW has {} values for {} rows, expected 3 per row", name, obs.uvw.size(), obs.nrow));
  obs.antenna1 = int_column(s, "ANTENNA1");
  obs.antenna2 = int_column(s, "ANTENNA2");
  if (s.tableDesc().isColumn("TIME")) obs.time = to_vector(cc::ScalarColumn<cc::Double>(s, "TIME").getColumn());
  if (s.tableDesc().isColumn("INTERVAL")) obs.interval = cc::ScalarColumn<cc::Double>(s, "INTERVAL").get(0);
}

// FLAG_ROW folds into FLAG; non-finite data, non-finite UVW and negative or
// non-finite weights are flagged (and counted) rather than propagated.
void flag_invalid_samples(Observation& obs, const std::vector<std::uint8_t>& flag_row,
                          const std::vector<cc::rownr_t>& rows, const std::string& name) {
  std::size_t bad = 0;
  const std::size_t per_row = obs.nchan * obs.ncorr;
  for (std::size_t r = 0; r < obs.nrow; ++r) {
    bool row_bad = !std::isfinite(obs.uvw[3 * r]) || !std::isfinite(obs.uvw[3 * r + 1]) ||
                   !std::isfinite(obs.uvw[3 * r + 2]);
    if (row_bad) obs.uvw[3 * r] = obs.uvw[3 * r + 1] = obs.uvw[3 * r + 2] = 0;
    for (std::size_t k = r * per_row; k < (r + 1) * per_row; ++k) {
      bool ok = std::isfinite(obs.vis[k].real()) && std::isfinite(obs.vis[k].imag()) && std::isfinite(obs.weight[k]) &&
                obs.weight[k] >= 0;
      if (!ok || row_bad) {
        if (!obs.flag[k]) ++bad;
        obs.flag[k] = 1;
        obs.vis[k] = 0;
        obs.weight[k] = 0;
      }
      if (flag_row[rows[r]]) obs.flag[k] = 1;
    }
  }
  if (bad)
    log().warn("{}: flagged {} samples with non-finite visibilities, UVW or weights, or negative weights", name, bad);
}

// Antenna positions and dish diameter (ANTENNA), telescope name (OBSERVATION).
void read_array_metadata(const cc::Table& t, const cc::Table& s, const std::filesystem::path& path, Observation& obs) {
  if (t.keywordSet().isDefined("ANTENNA")) {
    cc::Table ant = subtable(t, "ANTENNA", path);
    if (ant.nrow() > 0) {
      obs.antenna_xyz = to_vector(cc::ArrayColumn<cc::Double>(ant, "POSITION").getColumn());
      auto dish = to_vector(cc::ScalarColumn<cc::Double>(ant, "DISH_DIAMETER").getColumn());
      if (!dish.empty() && dish[0] > 0) obs.dish_diameter = dish[0];
    }
  }
  obs.telescope = "";
  if (t.keywordSet().isDefined("OBSERVATION")) {
    cc::Table o = subtable(t, "OBSERVATION", path);
    if (o.nrow() > 0 && o.tableDesc().isColumn("TELESCOPE_NAME")) {
      int oid = s.tableDesc().isColumn("OBSERVATION_ID") ? cc::ScalarColumn<cc::Int>(s, "OBSERVATION_ID").get(0) : 0;
      if (oid < 0 || static_cast<cc::rownr_t>(oid) >= o.nrow()) oid = 0;
      obs.telescope = cc::ScalarColumn<cc::String>(o, "TELESCOPE_NAME").get(oid);
    }
  }
}

// The subtables and per-row indices every read needs, checked.
struct MsIndex {
  SpectralSetup setup;
  FieldInfo fields;
  MainIndex ix;
};

MsIndex read_index(const cc::Table& t, const std::filesystem::path& path, const std::string& column) {
  const std::string name = path.string();
  require_data_column(t, column, name);
  if (t.nrow() == 0) throw DataError(fmt::format("{}: the main table has no rows", name));
  MsIndex m{read_setup(t, path), read_fields(t, path),
            MainIndex{int_column(t, "DATA_DESC_ID"), int_column(t, "FIELD_ID"), flag_row_column(t)}};
  check_data_desc_ids(m.ix.ddid, m.setup, name);
  return m;
}

Observation read_window(const cc::Table& t, const std::filesystem::path& path, const MsIndex& m,
                        const ResolvedSelection& chosen, const std::string& column) {
  const std::string name = path.string();
  const SpectralSetup& setup = m.setup;
  cc::Table s = t(cc::RowNumbers(chosen.rows));
  Observation obs;
  obs.nrow = chosen.rows.size();
  obs.freq = setup.spw_freq[chosen.spw];
  obs.corr = setup.pol_corr[setup.dd_pol[chosen.dd]];
  obs.nchan = obs.freq.size();
  obs.ncorr = obs.corr.size();
  if (obs.nchan == 0 || obs.ncorr == 0)
    throw DataError(fmt::format("{}: spectral window {} has {} channels and polarization {} has {} correlations",
                                name, chosen.spw, obs.nchan, setup.dd_pol[chosen.dd], obs.ncorr));
  read_visibilities(t, s, column, chosen.rows, obs, name);
  read_weights(t, s, obs, name);
  read_row_metadata(s, obs, name);
  flag_invalid_samples(obs, m.ix.flag_row, chosen.rows, name);
  obs.ra = m.fields.ra[chosen.field];
  obs.dec = m.fields.dec[chosen.field];
  obs.field = m.fields.name[chosen.field];
  obs.frequency_known = true;
  read_array_metadata(t, s, path, obs);
  obs.check_shapes(name);
  log().debug("{}: read field {} ({}), spectral window {} (DDID {}): {} rows × {} channels × {} correlations", name,
              chosen.field, obs.field, chosen.spw, chosen.dd, obs.nrow, obs.nchan, obs.ncorr);
  return obs;
}

Observation read_selection(const cc::Table& t, const std::filesystem::path& path, const MsSelection& sel) {
  const MsIndex m = read_index(t, path, sel.column);
  return read_window(t, path, m, resolve_selection(m.ix, m.setup, m.fields, sel, path.string()), sel.column);
}

std::string frame_name(int code) {
  if (code < 0 || code >= static_cast<int>(cc::MFrequency::N_Types)) return fmt::format("code {}", code);
  return cc::MFrequency::showType(static_cast<cc::MFrequency::Types>(code));
}

std::string corr_names(const std::vector<int>& codes) {
  std::vector<std::string> n;
  for (int c : codes) n.push_back(corr_name(c));
  return fmt::format("{}", fmt::join(n, " "));
}

// Channels of several windows are combined only when they measure the same
// correlations in the same frequency frame; checked before any data are read.
void check_windows_combine(const std::vector<ResolvedSelection>& w, const SpectralSetup& setup, const std::string& name) {
  const auto& corr0 = setup.pol_corr[setup.dd_pol[w[0].dd]];
  for (std::size_t i = 1; i < w.size(); ++i) {
    const auto& corr = setup.pol_corr[setup.dd_pol[w[i].dd]];
    if (corr != corr0)
      throw DataError(fmt::format("{}: spectral windows {} and {} have different polarisation setups ({} vs {}); "
                                  "select windows of one setup with --spw",
                                  name, w[0].spw, w[i].spw, corr_names(corr0), corr_names(corr)));
    const int f0 = setup.spw_frame[w[0].spw], f = setup.spw_frame[w[i].spw];
    if (f != f0)
      throw DataError(fmt::format("{}: spectral windows {} and {} have different frequency reference frames ({} vs "
                                  "{}); select windows of one frame with --spw",
                                  name, w[0].spw, w[i].spw, frame_name(f0), frame_name(f)));
  }
}

// Window → the first data description with rows in `field`, and those rows.
std::vector<ResolvedSelection> resolve_windows(const MsIndex& m, int field, const std::vector<int>& spws,
                                               const std::string& name) {
  std::map<int, int> spw_dd;
  for (std::size_t r = 0; r < m.ix.ddid.size(); ++r)
    if (m.ix.field[r] == field) spw_dd.emplace(m.setup.dd_spw[m.ix.ddid[r]], m.ix.ddid[r]);
  std::set<int> with_rows;
  for (auto& [spw, dd] : spw_dd) with_rows.insert(spw);
  std::vector<ResolvedSelection> out;
  for (int spw : spws.empty() ? std::vector<int>(with_rows.begin(), with_rows.end()) : spws) {
    if (!spw_dd.count(spw))
      throw DataError(fmt::format("{}: spectral window {} has no rows in field {} (spectral windows with rows: {})",
                                  name, spw, field, list_ints(with_rows)));
    ResolvedSelection w{spw, spw_dd[spw], field, {}};
    for (std::size_t r = 0; r < m.ix.ddid.size(); ++r)
      if (m.ix.ddid[r] == w.dd && m.ix.field[r] == field) w.rows.push_back(r);
    out.push_back(std::move(w));
  }
  if (out.empty()) throw DataError(fmt::format("{}: field {} has no rows", name, field));
  return out;
}

void read_windows(const cc::Table& t, const std::filesystem::path& path, const MsSelection& sel,
                  const std::vector<int>& spws, const std::function<void(MsWindow&&)>& take) {
  const std::string name = path.string();
  const MsIndex m = read_index(t, path, sel.column);
  if (sel.field >= 0) check_field_id(sel.field, m.fields, true, name);
  const int field = select_field(m.ix, -1, sel.field);
  check_field_id(field, m.fields, false, name);
  const std::vector<ResolvedSelection> chosen = resolve_windows(m, field, spws, name);
  check_windows_combine(chosen, m.setup, name);
  for (const auto& w : chosen) take({w.spw, field, read_window(t, path, m, w, sel.column)});
}

}  // namespace

Observation read_measurement_set(const std::filesystem::path& path, const MsSelection& sel) {
  cc::Table t = open_ms(path);
  try {
    return read_selection(t, path, sel);
  } catch (const cc::AipsError& e) {
    throw DataError(fmt::format("{}: {}", path.string(), one_line(e.what())));
  }
}

void for_each_measurement_set_window(const std::filesystem::path& path, const MsSelection& sel,
                                     const std::vector<int>& spws, const std::function<void(MsWindow&&)>& take) {
  cc::Table t = open_ms(path);
  try {
    read_windows(t, path, sel, spws, take);
  } catch (const cc::AipsError& e) {
    throw DataError(fmt::format("{}: {}", path.string(), one_line(e.what())));
  }
}

std::vector<MsWindow> read_measurement_set_windows(const std::filesystem::path& path, const MsSelection& sel,
                                                   const std::vector<int>& spws) {
  std::vector<MsWindow> out;
  for_each_measurement_set_window(path, sel, spws, [&](MsWindow&& w) { out.push_back(std::move(w)); });
  return out;
}

namespace {

// Receptor pair (0 = X/R, 1 = Y/L) of a correlation code, for CORR_PRODUCT.
std::pair<int, int> receptors(int code) {
  switch (code) {
    case int(Corr::XY): case int(Corr::RL): return {0, 1};
    case int(Corr::YX): case int(Corr::LR): return {1, 0};
    case int(Corr::YY): case int(Corr::LL): return {1, 1};
    default: return {0, 0};
  }
}

// Per-channel weights only when they actually vary over channels.
bool weights_vary_over_channels(const Observation& obs) {
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 1; ch < obs.nchan; ++ch)
      for (std::size_t c = 0; c < obs.ncorr; ++c)
        if (obs.weight[obs.index(r, ch, c)] != obs.weight[obs.index(r, 0, c)]) return true;
  return false;
}

// An empty MS of `nrow` rows with tiled DATA, FLAG (and WEIGHT_SPECTRUM).
cc::MeasurementSet create_ms(const std::filesystem::path& tmp, std::size_t nrow, std::size_t ncorr, std::size_t nchan,
                             bool spectrum) {
  cc::TableDesc td = cc::MS::requiredTableDesc();
  cc::MS::addColumnToDesc(td, cc::MS::DATA, 2);
  if (spectrum) cc::MS::addColumnToDesc(td, cc::MS::WEIGHT_SPECTRUM, 2);
  cc::SetupNewTable setup(tmp.string(), td, cc::Table::New);
  // Tiles of about 1 MB, as CASA does: fast row-wise and channel-wise access.
  const ssize_t rows_per_tile = std::max<ssize_t>(1, (1 << 17) / static_cast<ssize_t>(ncorr * nchan));
  const cc::IPosition tile(3, static_cast<ssize_t>(ncorr), static_cast<ssize_t>(nchan), rows_per_tile);
  cc::TiledShapeStMan data_sm("TiledData", tile), flag_sm("TiledFlag", tile), ws_sm("TiledWgtSpectrum", tile);
  setup.bindColumn("DATA", data_sm);
  setup.bindColumn("FLAG", flag_sm);
  if (spectrum) setup.bindColumn("WEIGHT_SPECTRUM", ws_sm);
  cc::MeasurementSet ms(setup, nrow);
  ms.createDefaultSubtables(cc::Table::New);
  ms.rwKeywordSet().define("MS_VERSION", cc::Float(2.0));
  return ms;
}

// ANTENNA and FEED (one feed per antenna with two receptors), valid over [t0, t1].
void write_antennas(cc::MeasurementSet& ms, cc::MSColumns& cols, const Observation& obs, double t0, double t1) {
  const std::size_t nant = obs.antenna_xyz.size() / 3;
  bool circular = std::any_of(obs.corr.begin(), obs.corr.end(), [](int c) { return c >= 5 && c <= 8; });
  ms.antenna().addRow(nant);
  ms.feed().addRow(nant);
  auto& ant = cols.antenna();
  auto& feed = cols.feed();
  for (std::size_t a = 0; a < nant; ++a) {
    ant.name().put(a, fmt::format("A{:02d}", a));
    ant.station().put(a, fmt::format("P{:02d}", a));
    ant.type().put(a, "GROUND-BASED");
    ant.mount().put(a, "ALT-AZ");
    cc::Vector<cc::Double> pos(3);
    for (int k = 0; k < 3; ++k) pos[k] = obs.antenna_xyz[3 * a + k];
    ant.position().put(a, pos);
    ant.offset().put(a, cc::Vector<cc::Double>(3, 0.0));
    ant.dishDiameter().put(a, obs.dish_diameter);
    ant.flagRow().put(a, false);

    feed.antennaId().put(a, static_cast<int>(a));
    feed.feedId().put(a, 0);
    feed.spectralWindowId().put(a, -1);
    feed.time().put(a, 0.5 * (t0 + t1));
    feed.interval().put(a, 0.0);  // 0: valid at all times
    feed.numReceptors().put(a, 2);
    feed.beamId().put(a, -1);
    feed.beamOffset().put(a, cc::Matrix<cc::Double>(2, 2, 0.0));
    cc::Vector<cc::String> ptype(2);
    ptype[0] = circular ? "R" : "X";
    ptype[1] = circular ? "L" : "Y";
    feed.polarizationType().put(a, ptype);
    cc::Matrix<cc::Complex> resp(2, 2, cc::Complex(0, 0));
    resp(0, 0) = resp(1, 1) = cc::Complex(1, 0);
    feed.polResponse().put(a, resp);
    feed.position().put(a, cc::Vector<cc::Double>(3, 0.0));
    cc::Vector<cc::Double> angle(2);
    angle[0] = 0;
    angle[1] = kPi / 2;
    feed.receptorAngle().put(a, angle);
  }
}

// FIELD: one, at the phase centre.
void write_field(cc::MeasurementSet& ms, cc::MSColumns& cols, const Observation& obs, double t0) {
  ms.field().addRow(1);
  auto& fld = cols.field();
  fld.name().put(0, obs.field.empty() ? std::string("penumbra") : obs.field);
  fld.code().put(0, "");
  fld.time().put(0, t0);
  fld.numPoly().put(0, 0);
  cc::Matrix<cc::Double> dir(2, 1);
  dir(0, 0) = obs.ra;
  dir(1, 0) = obs.dec;
  fld.delayDir().put(0, dir);
  fld.phaseDir().put(0, dir);
  fld.referenceDir().put(0, dir);
  fld.sourceId().put(0, -1);
  fld.flagRow().put(0, false);
}

// SPECTRAL_WINDOW: channel widths from the channel spacing; a single
// channel gets a nominal width of 1e-4 of its frequency (the Observation does
// not carry widths).
void write_spectral_window(cc::MeasurementSet& ms, cc::MSColumns& cols, const Observation& obs, std::size_t id) {
  const std::size_t nchan = obs.nchan;
  ms.spectralWindow().addRow(1);
  auto& spw = cols.spectralWindow();
  const cc::rownr_t row = id;
  cc::Vector<cc::Double> freq(nchan), width(nchan);
  for (std::size_t ch = 0; ch < nchan; ++ch) {
    freq[ch] = obs.freq[ch];
    double w = nchan > 1 ? std::abs(obs.freq[ch == 0 ? 1 : ch] - obs.freq[ch == 0 ? 0 : ch - 1]) : 1e-4 * obs.freq[0];
    width[ch] = w > 0 ? w : 1e-4 * obs.freq[ch];
  }
  spw.numChan().put(row, static_cast<int>(nchan));
  spw.name().put(row, fmt::format("SPW{}", id));
  spw.refFrequency().put(row, obs.freq[0]);
  spw.chanFreq().put(row, freq);
  spw.chanWidth().put(row, width);
  spw.effectiveBW().put(row, width);
  spw.resolution().put(row, width);
  spw.totalBandwidth().put(row, std::accumulate(width.begin(), width.end(), 0.0));
  spw.measFreqRef().put(row, cc::MFrequency::TOPO);
  spw.netSideband().put(row, 1);
  spw.ifConvChain().put(row, 0);
  spw.freqGroup().put(row, 0);
  spw.freqGroupName().put(row, "");
  spw.flagRow().put(row, false);
}

// POLARIZATION and the DATA_DESCRIPTION that pairs it with window `id`.
void write_polarization(cc::MeasurementSet& ms, cc::MSColumns& cols, const Observation& obs, std::size_t id) {
  const cc::rownr_t row = id;
  const std::size_t ncorr = obs.ncorr;
  ms.polarization().addRow(1);
  auto& pol = cols.polarization();
  cc::Vector<cc::Int> ctype(ncorr);
  cc::Matrix<cc::Int> cprod(2, ncorr);
  for (std::size_t c = 0; c < ncorr; ++c) {
    ctype[c] = obs.corr[c];
    auto [p, q] = receptors(obs.corr[c]);
    cprod(0, c) = p;
    cprod(1, c) = q;
  }
  pol.numCorr().put(row, static_cast<int>(ncorr));
  pol.corrType().put(row, ctype);
  pol.corrProduct().put(row, cprod);
  pol.flagRow().put(row, false);

  ms.dataDescription().addRow(1);
  cols.dataDescription().spectralWindowId().put(row, static_cast<int>(id));
  cols.dataDescription().polarizationId().put(row, static_cast<int>(id));
  cols.dataDescription().flagRow().put(row, false);
}

// OBSERVATION, PROCESSOR and STATE: one row each.
void write_bookkeeping(cc::MeasurementSet& ms, cc::MSColumns& cols, const Observation& obs, double t0, double t1) {
  ms.observation().addRow(1);
  auto& o = cols.observation();
  o.telescopeName().put(0, obs.telescope.empty() ? std::string("UNKNOWN") : obs.telescope);
  cc::Vector<cc::Double> trange(2);
  trange[0] = t0;
  trange[1] = t1;
  o.timeRange().put(0, trange);
  o.observer().put(0, "penumbra");
  o.project().put(0, "");
  o.scheduleType().put(0, "");
  o.releaseDate().put(0, 0.0);
  o.log().put(0, cc::Vector<cc::String>(1, ""));
  o.schedule().put(0, cc::Vector<cc::String>(1, ""));
  o.flagRow().put(0, false);

  ms.processor().addRow(1);
  cols.processor().type().put(0, "CORRELATOR");
  cols.processor().subType().put(0, "");
  cols.processor().typeId().put(0, -1);
  cols.processor().modeId().put(0, -1);
  cols.processor().flagRow().put(0, false);

  ms.state().addRow(1);
  auto& st = cols.state();
  st.sig().put(0, true);
  st.ref().put(0, false);
  st.cal().put(0, 0.0);
  st.load().put(0, 0.0);
  st.subScan().put(0, 0);
  st.obsMode().put(0, "OBSERVE_TARGET#ON_SOURCE");
  st.flagRow().put(0, false);
}

// MAIN, row by row: bounded memory for large observations.
void write_main_rows(cc::MSColumns& cols, const Observation& obs, bool spectrum, std::size_t first_row, int ddid) {
  const std::size_t nrow = obs.nrow, nchan = obs.nchan, ncorr = obs.ncorr;
  cc::Matrix<cc::Complex> d(ncorr, nchan);
  cc::Matrix<cc::Bool> f(ncorr, nchan);
  cc::Matrix<cc::Float> ws(ncorr, nchan);
  cc::Vector<cc::Float> w(ncorr), sigma(ncorr);
  cc::Vector<cc::Double> uvw(3);
  for (std::size_t r = 0; r < nrow; ++r) {
    bool all_flagged = true;
    for (std::size_t c = 0; c < ncorr; ++c) {
      double sum = 0;
      for (std::size_t ch = 0; ch < nchan; ++ch) {
        std::size_t k = obs.index(r, ch, c);
        d(c, ch) = std::conj(obs.vis[k]);  // back to the CASA sign convention
        f(c, ch) = obs.flag[k] != 0;
        ws(c, ch) = obs.weight[k];
        sum += obs.weight[k];
        all_flagged = all_flagged && obs.flag[k];
      }
      // WEIGHT is the channel-average weight; it equals each channel's weight
      // whenever WEIGHT_SPECTRUM is not written.
      w[c] = static_cast<float>(sum / nchan);
      sigma[c] = w[c] > 0 ? 1.0f / std::sqrt(w[c]) : 0.0f;
    }
    for (int k = 0; k < 3; ++k) uvw[k] = obs.uvw[3 * r + k];
    cols.data().put(first_row + r, d);
    cols.flag().put(first_row + r, f);
    if (spectrum) cols.weightSpectrum().put(first_row + r, ws);
    cols.weight().put(first_row + r, w);
    cols.sigma().put(first_row + r, sigma);
    cols.uvw().put(first_row + r, uvw);
    cols.flagRow().put(first_row + r, all_flagged);
    cols.antenna1().put(first_row + r, obs.antenna1[r]);
    cols.antenna2().put(first_row + r, obs.antenna2[r]);
    cols.time().put(first_row + r, obs.time[r]);
    cols.timeCentroid().put(first_row + r, obs.time[r]);
    cols.interval().put(first_row + r, obs.interval);
    cols.exposure().put(first_row + r, obs.interval);
    cols.arrayId().put(first_row + r, 0);
    cols.dataDescId().put(first_row + r, ddid);
    cols.feed1().put(first_row + r, 0);
    cols.feed2().put(first_row + r, 0);
    cols.fieldId().put(first_row + r, 0);
    cols.observationId().put(first_row + r, 0);
    cols.processorId().put(first_row + r, 0);
    cols.scanNumber().put(first_row + r, 1);
    cols.stateId().put(first_row + r, 0);
  }
}

void write_ms_tables(const std::filesystem::path& tmp, const std::vector<Observation>& windows) {
  bool spectrum = false;
  std::size_t nrow = 0, ncorr = 0, nchan = 0;
  double t0 = INFINITY, t1 = -INFINITY;
  for (const auto& w : windows) {
    spectrum = spectrum || weights_vary_over_channels(w);
    nrow += w.nrow;
    ncorr = std::max(ncorr, w.ncorr);
    nchan = std::max(nchan, w.nchan);
    for (double t : w.time) t0 = std::min(t0, t), t1 = std::max(t1, t);
  }
  if (!(t0 <= t1)) t0 = t1 = 0;
  cc::MeasurementSet ms = create_ms(tmp, nrow, ncorr, nchan, spectrum);
  cc::MSColumns cols(ms);
  const Observation& first = windows.front();
  write_antennas(ms, cols, first, t0, t1);
  write_field(ms, cols, first, t0);
  write_bookkeeping(ms, cols, first, t0, t1);
  std::size_t row = 0;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    write_spectral_window(ms, cols, windows[i], i);
    write_polarization(ms, cols, windows[i], i);
    write_main_rows(cols, windows[i], spectrum, row, static_cast<int>(i));
    row += windows[i].nrow;
  }
  ms.flush();
}

// What a window must hold to be written; throws UsageError naming `name`.
void check_writable(const Observation& obs, const std::string& name) {
  obs.check_shapes(name);
  if (obs.nrow == 0 || obs.nchan == 0 || obs.ncorr == 0)
    throw UsageError(fmt::format("{}: cannot write an empty observation ({} rows, {} channels, {} correlations)", name,
                                 obs.nrow, obs.nchan, obs.ncorr));
  if (obs.antenna1.size() != obs.nrow || obs.antenna2.size() != obs.nrow || obs.time.size() != obs.nrow)
    throw UsageError(fmt::format("{}: writing a MeasurementSet needs antenna1, antenna2 and time for each of the {} rows "
                                 "(have {}, {}, {})", name, obs.nrow, obs.antenna1.size(), obs.antenna2.size(),
                                 obs.time.size()));
  const std::size_t nant = obs.antenna_xyz.size() / 3;
  if (nant == 0 || obs.antenna_xyz.size() % 3)
    throw UsageError(fmt::format("{}: writing a MeasurementSet needs antenna positions (antenna_xyz holds {} values, "
                                 "expected 3 per antenna)", name, obs.antenna_xyz.size()));
  for (std::size_t r = 0; r < obs.nrow; ++r)
    if (obs.antenna1[r] < 0 || obs.antenna2[r] < 0 || static_cast<std::size_t>(obs.antenna1[r]) >= nant ||
        static_cast<std::size_t>(obs.antenna2[r]) >= nant)
      throw UsageError(fmt::format("{}: row {} has antennas ({}, {}) but only {} antenna positions are given", name, r,
                                   obs.antenna1[r], obs.antenna2[r], nant));
  for (std::size_t ch = 0; ch < obs.nchan; ++ch)
    if (!(obs.freq[ch] > 0) || !std::isfinite(obs.freq[ch]))
      throw UsageError(fmt::format("{}: channel {} has frequency {} Hz, expected a positive number", name, ch, obs.freq[ch]));
  if (!obs.frequency_known)
    log().warn("{}: the observation's frequency is unknown (uvtable input); writing ν = {:.6g} Hz so that UVW in metres "
               "equals u, v in wavelengths", name, obs.freq[0]);
}

}  // namespace

void write_measurement_set(const std::filesystem::path& path, const Observation& obs) {
  write_measurement_set(path, std::vector<Observation>{obs});
}

void write_measurement_set(const std::filesystem::path& path, const std::vector<Observation>& windows) {
  const std::string name = path.string();
  if (windows.empty()) throw UsageError(fmt::format("{}: cannot write a MeasurementSet of no spectral windows", name));
  for (std::size_t i = 0; i < windows.size(); ++i) {
    check_writable(windows[i], windows.size() > 1 ? fmt::format("{} (window {})", name, i) : name);
    if (windows[i].antenna_xyz.size() > windows[0].antenna_xyz.size())
      throw UsageError(fmt::format("{}: window {} uses {} antennas but the first window gives {} positions", name, i,
                                   windows[i].antenna_xyz.size() / 3, windows[0].antenna_xyz.size() / 3));
  }
  auto tmp = path;
  tmp += ".tmp";
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  try {
    write_ms_tables(tmp, windows);  // the MeasurementSet closes (and flushes) when this returns
  } catch (const cc::AipsError& e) {
    std::filesystem::remove_all(tmp, ec);
    throw DataError(fmt::format("{}: cannot write MeasurementSet: {}", name, one_line(e.what())));
  } catch (...) {
    std::filesystem::remove_all(tmp, ec);
    throw;
  }
  std::filesystem::remove_all(path, ec);
  std::filesystem::rename(tmp, path);
}

// ---------------------------------------------------------------------------
// `penumbra info` for MeasurementSets.

namespace {

// The per-row columns of the main table that `info` summarises.
struct MainRows {
  std::vector<int> ddid, field, a1, a2;
  std::vector<std::uint8_t> flag_row;
  std::vector<double> uvw;  // [row][3] metres
};

MainRows read_main_rows(const cc::Table& t) {
  MainRows m;
  m.ddid = int_column(t, "DATA_DESC_ID");
  m.field = int_column(t, "FIELD_ID");
  m.a1 = int_column(t, "ANTENNA1");
  m.a2 = int_column(t, "ANTENNA2");
  m.flag_row = flag_row_column(t);
  m.uvw = to_vector(cc::ArrayColumn<cc::Double>(t, "UVW").getColumn());
  return m;
}

// Totals over every data description.
struct SampleSummary {
  std::size_t nsamples = 0, nflagged = 0;
  std::vector<float> weights;  // of unflagged samples
  bool spectrum_used = false, spectrum_empty = false;
  double uvmin = INFINITY, uvmax = 0, fmin = INFINITY, fmax = 0;
  std::set<int> corr_codes;
  nlohmann::ordered_json spw_json = nlohmann::ordered_json::array();
};

// Whether every row of `s` holds a WEIGHT_SPECTRUM cell of the data's shape;
// nullopt when the MS has no (float) WEIGHT_SPECTRUM column.
std::optional<bool> weight_spectrum_filled(const cc::Table& t, const cc::Table& s, std::size_t ncorr, std::size_t nchan) {
  if (!t.tableDesc().isColumn("WEIGHT_SPECTRUM") || t.tableDesc()["WEIGHT_SPECTRUM"].dataType() != cc::TpFloat)
    return std::nullopt;
  cc::ArrayColumn<cc::Float> ws(s, "WEIGHT_SPECTRUM");
  bool filled = true;
  for (cc::rownr_t r = 0; r < s.nrow() && filled; ++r) filled = ws.isDefined(r) && ws.shape(r).isEqual(cc::IPosition(2, ncorr, nchan));
  return filled;
}

// Flags, weights and uv range of one data description's rows; adds its line.
void summarise_data_description(const cc::Table& t, const MainRows& m, const SpectralSetup& setup, int dd,
                                SampleSummary& sum, FileDescription& d) {
  std::vector<cc::rownr_t> rows;
  for (std::size_t r = 0; r < m.ddid.size(); ++r)
    if (m.ddid[r] == dd) rows.push_back(r);
  cc::Table s = t(cc::RowNumbers(rows));
  const auto& freq = setup.spw_freq[setup.dd_spw[dd]];
  const auto& corr = setup.pol_corr[setup.dd_pol[dd]];
  const std::size_t nchan = freq.size(), ncorr = corr.size();
  sum.corr_codes.insert(corr.begin(), corr.end());
  double lo = freq.empty() ? 0 : *std::min_element(freq.begin(), freq.end());
  double hi = freq.empty() ? 0 : *std::max_element(freq.begin(), freq.end());
  sum.fmin = std::min(sum.fmin, lo);
  sum.fmax = std::max(sum.fmax, hi);
  auto flag = to_vector<cc::Bool, std::uint8_t>(cc::ArrayColumn<cc::Bool>(s, "FLAG").getColumn());
  if (flag.size() != rows.size() * nchan * ncorr)
    throw DataError(fmt::format("{}: FLAG of DATA_DESC_ID {} has {} values, expected {} rows × {} channels × {} "
                                "correlations", d.path, dd, flag.size(), rows.size(), nchan, ncorr));
  const auto filled = weight_spectrum_filled(t, s, ncorr, nchan);
  const bool spectrum = filled.value_or(false);
  sum.spectrum_empty = sum.spectrum_empty || (filled && !*filled);
  std::vector<float> w = spectrum ? to_vector(cc::ArrayColumn<cc::Float>(s, "WEIGHT_SPECTRUM").getColumn())
                                  : to_vector(cc::ArrayColumn<cc::Float>(s, "WEIGHT").getColumn());
  sum.spectrum_used = sum.spectrum_used || spectrum;
  std::size_t dd_flagged = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::size_t r = rows[i];
    bool any = false;
    for (std::size_t k = 0; k < nchan * ncorr; ++k) {
      bool f = flag[i * nchan * ncorr + k] || m.flag_row[r];
      dd_flagged += f;
      if (!f) {
        any = true;
        float wk = spectrum ? w[i * nchan * ncorr + k] : w[i * ncorr + k % ncorr];
        if (std::isfinite(wk)) sum.weights.push_back(wk);
      }
    }
    if (any && m.a1[r] != m.a2[r]) {
      double b = std::hypot(m.uvw[3 * r], m.uvw[3 * r + 1]);
      if (std::isfinite(b)) {
        sum.uvmin = std::min(sum.uvmin, b * lo / kSpeedOfLight);
        sum.uvmax = std::max(sum.uvmax, b * hi / kSpeedOfLight);
      }
    }
  }
  sum.nflagged += dd_flagged;
  std::vector<std::string> cn;
  for (int c : corr) cn.push_back(corr_name(c));
  const std::size_t dd_samples = rows.size() * nchan * ncorr;
  sum.nsamples += dd_samples;
  sum.spw_json.push_back({{"data_desc_id", dd},
                          {"spw", setup.dd_spw[dd]},
                          {"polarization_id", setup.dd_pol[dd]},
                          {"rows", rows.size()},
                          {"channels", nchan},
                          {"frequency_range_hz", {lo, hi}},
                          {"correlations", cn},
                          {"flagged_fraction", static_cast<double>(dd_flagged) / dd_samples}});
  d.add_line(fmt::format("DDID {}", dd),
             fmt::format("spw {}, {} rows, {} channel(s), {} – {}, {}, {:.1f}% flagged", setup.dd_spw[dd], rows.size(),
                         nchan, format_frequency(lo), format_frequency(hi), fmt::join(cn, " "), 100.0 * dd_flagged / dd_samples));
}

// The facts over all samples: channels of the first window with rows, frequency and
// uv ranges, correlations, flags and weights.
void describe_samples(SampleSummary& sum, const SpectralSetup& setup, const std::map<int, std::size_t>& dd_rows,
                      bool has_weight_spectrum, FileDescription& d) {
  d.json["spectral_windows"] = sum.spw_json;
  // Channels of the spectral window a plain read selects (the first with rows).
  int first_spw = -1;
  for (auto& [dd, nr] : dd_rows)
    if (first_spw < 0 || setup.dd_spw[dd] < first_spw) first_spw = setup.dd_spw[dd];
  d.add("channels", "channels",
        fmt::format("{} (spw {}, the first window with rows; commands read every window by default)",
                    setup.spw_freq[first_spw].size(), first_spw),
        setup.spw_freq[first_spw].size());
  d.add("frequency_range_hz", "frequency range",
        fmt::format("{} – {}", format_frequency(sum.fmin), format_frequency(sum.fmax)), {sum.fmin, sum.fmax});
  std::vector<std::string> cn;
  for (int c : sum.corr_codes) cn.push_back(corr_name(c));
  d.add("correlations", "correlations", fmt::format("{}", fmt::join(cn, " ")), cn);
  if (sum.uvmax > 0)
    d.add("uv_range_klambda", "uv range",
          fmt::format("{} – {} kλ (unflagged cross-correlations)", format_klambda(sum.uvmin / 1e3),
                      format_klambda(sum.uvmax / 1e3)),
          {sum.uvmin / 1e3, sum.uvmax / 1e3});
  else
    d.add("uv_range_klambda", "uv range", "none (no unflagged cross-correlations)", nullptr);
  double ff = sum.nsamples ? static_cast<double>(sum.nflagged) / sum.nsamples : 0;
  d.add("flagged_fraction", "flagged", fmt::format("{:.2f}% of {} samples", 100 * ff, sum.nsamples), ff);
  std::string wsrc = sum.spectrum_used
                         ? (sum.spectrum_empty ? "WEIGHT_SPECTRUM where defined, else WEIGHT" : "WEIGHT_SPECTRUM")
                         : (has_weight_spectrum ? "WEIGHT (WEIGHT_SPECTRUM is empty)" : "WEIGHT");
  if (sum.weights.empty()) {
    d.add("weight", "weights", "none (all samples flagged)", nullptr);
    return;
  }
  std::vector<float>& weights = sum.weights;  // reordered in place: it can hold one value per sample
  std::size_t mid = weights.size() / 2;
  std::nth_element(weights.begin(), weights.begin() + mid, weights.end());
  double med = weights[mid];
  double wmin = *std::min_element(weights.begin(), weights.end());
  double wmax = *std::max_element(weights.begin(), weights.end());
  d.add("weight", "weights",
        fmt::format("min {:.4g}, median {:.4g}, max {:.4g} (unflagged samples, from {})", wmin, med, wmax, wsrc),
        {{"min", wmin}, {"median", med}, {"max", wmax}, {"source", wsrc}});
}

// One line per field, and the phase centre of the field a plain read selects.
void describe_fields(const FieldInfo& fields, const std::map<int, std::size_t>& field_rows, const MainRows& m,
                     FileDescription& d) {
  nlohmann::ordered_json fj = nlohmann::ordered_json::array();
  for (std::size_t f = 0; f < fields.name.size(); ++f) {
    auto it = field_rows.find(static_cast<int>(f));
    std::size_t nr = it == field_rows.end() ? 0 : it->second;
    fj.push_back({{"id", f}, {"name", fields.name[f]}, {"rows", nr}, {"ra_rad", fields.ra[f]}, {"dec_rad", fields.dec[f]}});
    d.add_line(fmt::format("field {}", f), fmt::format("{}: {} rows, RA {}, Dec {}", fields.name[f], nr,
                                                       format_ra(fields.ra[f]), format_dec(fields.dec[f])));
  }
  d.json["fields"] = fj;
  int f0 = field_rows.begin()->first;
  for (auto& [f, nr] : field_rows) {
    bool unflagged = false;
    for (std::size_t r = 0; r < m.field.size() && !unflagged; ++r) unflagged = m.field[r] == f && !m.flag_row[r];
    if (unflagged) {
      f0 = f;
      break;
    }
  }
  if (f0 >= 0 && static_cast<std::size_t>(f0) < fields.name.size())
    d.add("phase_centre", "phase centre",
          fmt::format("RA {}, Dec {} (J2000, field {} {})", format_ra(fields.ra[f0]), format_dec(fields.dec[f0]), f0,
                      fields.name[f0]),
          {{"ra_rad", fields.ra[f0]}, {"dec_rad", fields.dec[f0]}, {"field", f0}});
}

// Antennas, telescope and time span.
void describe_array(const cc::Table& t, const std::filesystem::path& path, FileDescription& d) {
  if (t.keywordSet().isDefined("ANTENNA")) {
    std::size_t nant = subtable(t, "ANTENNA", path).nrow();
    d.add("antennas", "antennas", fmt::format("{}", nant), nant);
  }
  if (t.keywordSet().isDefined("OBSERVATION")) {
    cc::Table o = subtable(t, "OBSERVATION", path);
    if (o.nrow() > 0 && o.tableDesc().isColumn("TELESCOPE_NAME")) {
      std::string tel = cc::ScalarColumn<cc::String>(o, "TELESCOPE_NAME").get(0);
      d.add("telescope", "telescope", tel, tel);
    }
  }
  if (t.tableDesc().isColumn("TIME")) {
    auto time = to_vector(cc::ScalarColumn<cc::Double>(t, "TIME").getColumn());
    auto [lo, hi] = std::minmax_element(time.begin(), time.end());
    d.add("time_range_s", "time span", fmt::format("{:.1f} s (MJD {:.5f} – {:.5f})", *hi - *lo, *lo / 86400, *hi / 86400),
          {*lo, *hi});
  }
}

void describe_ms_tables(const cc::Table& t, const std::filesystem::path& path, FileDescription& d) {
  SpectralSetup setup = read_setup(t, path);
  FieldInfo fields = read_fields(t, path);
  const std::size_t ntotal = t.nrow();
  d.add("rows", "rows", fmt::format("{}", ntotal), ntotal);
  std::vector<std::string> columns;
  for (const char* c : {"DATA", "CORRECTED_DATA", "MODEL_DATA", "FLOAT_DATA", "WEIGHT_SPECTRUM", "SIGMA_SPECTRUM"})
    if (t.tableDesc().isColumn(c)) columns.emplace_back(c);
  if (ntotal == 0) {
    d.add("data_columns", "data columns", fmt::format("{}", fmt::join(columns, ", ")), columns);
    return;
  }
  const MainRows m = read_main_rows(t);
  check_data_desc_ids(m.ddid, setup, d.path);
  // Per data description: flags and weights (cells of one DDID share a shape).
  std::map<int, std::size_t> dd_rows, field_rows;
  for (std::size_t r = 0; r < ntotal; ++r) {
    ++dd_rows[m.ddid[r]];
    ++field_rows[m.field[r]];
  }
  SampleSummary sum;
  for (auto& [dd, nr] : dd_rows) summarise_data_description(t, m, setup, dd, sum, d);
  describe_samples(sum, setup, dd_rows, t.tableDesc().isColumn("WEIGHT_SPECTRUM"), d);
  describe_fields(fields, field_rows, m, d);
  d.add("data_columns", "data columns",
        fmt::format("{}{}", fmt::join(columns, ", "), sum.spectrum_empty ? " (WEIGHT_SPECTRUM present but empty)" : ""),
        columns);
  describe_array(t, path, d);
}

}  // namespace

FileDescription describe_measurement_set(const std::filesystem::path& path) {
  cc::Table t = open_ms(path);
  FileDescription d;
  d.path = path.string();
  d.format = "MeasurementSet";
  try {
    describe_ms_tables(t, path, d);
    return d;
  } catch (const cc::AipsError& e) {
    throw DataError(fmt::format("{}: {}", d.path, one_line(e.what())));
  }
}

}  // namespace penumbra
