#include "src/datasets/mirabest.hpp"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <variant>

#include "src/core/errors.hpp"

namespace penumbra {
namespace {

// ---- A minimal pickle value model: enough for CIFAR-style numpy pickles. ----
struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct Global {
  std::string module, name;
};
struct Reduced {  // callable(*args), then BUILD(state)
  ValuePtr callable, args, state;
};
struct Mark {};
struct None {};
struct List {
  std::vector<ValuePtr> items;
};
struct Tuple {
  std::vector<ValuePtr> items;
};
struct Dict {
  std::vector<std::pair<ValuePtr, ValuePtr>> items;
};
struct Bytes {
  std::string data;
};
struct Value {
  std::variant<None, bool, std::int64_t, double, std::string, Bytes, List, Tuple, Dict, Global, Reduced, Mark> v;
};

template <class T>
ValuePtr make(T x) {
  auto p = std::make_shared<Value>();
  p->v = std::move(x);
  return p;
}

class PickleMachine {
 public:
  PickleMachine(const std::string& bytes, const std::string& name) : b_(bytes), name_(name) {}

  ValuePtr run() {
    while (true) {
      std::size_t at = pos_;
      auto op = static_cast<unsigned char>(u8());
      if (op == '.') return pop(at);  // STOP
      if (!number_or_empty(op, at) && !string_or_bytes(op) && !memo_or_global(op, at) && !container(op, at) &&
          !object(op, at))
        fail(at, fmt::format("unknown opcode 0x{:02x}", op), "a pickle opcode of protocol ≤ 3");
    }
  }

  // Each of these executes `op` if it is one of its group and says whether it was.

  // Framing, empty containers, MARK, None, booleans and numbers.
  bool number_or_empty(unsigned char op, std::size_t at) {
    switch (op) {
      case 0x80: u8(); break;  // PROTO
      case 0x95: fixed(8); break;  // FRAME (protocol 4): length only
      case '}': push(make(Dict{})); break;
      case ']': push(make(List{})); break;
      case ')': push(make(Tuple{})); break;
      case '(': push(make(Mark{})); break;
      case 'N': push(make(None{})); break;
      case 0x88: push(make(true)); break;
      case 0x89: push(make(false)); break;
      case 'K': push(make(static_cast<std::int64_t>(static_cast<unsigned char>(u8())))); break;
      case 'M': push(make(static_cast<std::int64_t>(le(2)))); break;
      case 'J': push(make(static_cast<std::int64_t>(static_cast<std::int32_t>(le(4))))); break;
      case 0x8a: push(make(long1(at))); break;  // LONG1
      case 'G': push(make(binfloat())); break;  // BINFLOAT
      default: return false;
    }
    return true;
  }

  bool string_or_bytes(unsigned char op) {
    switch (op) {
      case 'X': push(make(fixed(le(4)))); break;                                    // BINUNICODE
      case 0x8c: push(make(fixed(static_cast<unsigned char>(u8())))); break;        // SHORT_BINUNICODE
      case 'T': push(make(fixed(le(4)))); break;                                    // BINSTRING
      case 'U': push(make(fixed(static_cast<unsigned char>(u8())))); break;         // SHORT_BINSTRING
      case 'B': push(make(Bytes{fixed(le(4))})); break;                             // BINBYTES
      case 'C': push(make(Bytes{fixed(static_cast<unsigned char>(u8()))})); break;  // SHORT_BINBYTES
      default: return false;
    }
    return true;
  }

  bool memo_or_global(unsigned char op, std::size_t at) {
    switch (op) {
      case 'q': memo_[static_cast<unsigned char>(u8())] = top(at); break;  // BINPUT
      case 'r': memo_[le(4)] = top(at); break;                              // LONG_BINPUT
      case 0x94: memo_[memo_.size()] = top(at); break;                      // MEMOIZE
      case 'h': push(get(static_cast<unsigned char>(u8()), at)); break;     // BINGET
      case 'j': push(get(le(4), at)); break;                                // LONG_BINGET
      case 'c': {                                                           // GLOBAL
        std::string module = line(), nm = line();
        push(make(Global{module, nm}));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        auto nm = pop(at), module = pop(at);
        push(make(Global{as_str(module, at), as_str(nm, at)}));
        break;
      }
      default: return false;
    }
    return true;
  }

  // Tuples, lists and dicts built from the stack.
  bool container(unsigned char op, std::size_t at) {
    switch (op) {
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        int n = op - 0x84;
        Tuple t;
        t.items.resize(n);
        for (int i = n - 1; i >= 0; --i) t.items[i] = pop(at);
        push(make(std::move(t)));
        break;
      }
      case 't': push(make(Tuple{pop_to_mark(at)})); break;  // TUPLE
      case 'l': push(make(List{pop_to_mark(at)})); break;   // LIST
      case 'a': {                                            // APPEND
        auto x = pop(at);
        as<List>(top(at), at, "a list").items.push_back(x);
        break;
      }
      case 'e': {  // APPENDS
        auto xs = pop_to_mark(at);
        auto& l = as<List>(top(at), at, "a list").items;
        l.insert(l.end(), xs.begin(), xs.end());
        break;
      }
      case 's': {  // SETITEM
        auto v = pop(at), k = pop(at);
        as<Dict>(top(at), at, "a dict").items.emplace_back(k, v);
        break;
      }
      case 'u': {  // SETITEMS
        auto xs = pop_to_mark(at);
        if (xs.size() % 2) fail(at, "SETITEMS with an odd number of items", "key/value pairs");
        auto& d = as<Dict>(top(at), at, "a dict").items;
        for (std::size_t i = 0; i < xs.size(); i += 2) d.emplace_back(xs[i], xs[i + 1]);
        break;
      }
      default: return false;
    }
    return true;
  }

  // Objects: callable(*args), then BUILD(state).
  bool object(unsigned char op, std::size_t at) {
    switch (op) {
      case 'R': {  // REDUCE
        auto args = pop(at), callable = pop(at);
        push(make(Reduced{callable, args, nullptr}));
        break;
      }
      case 0x81: {  // NEWOBJ
        auto args = pop(at), cls = pop(at);
        push(make(Reduced{cls, args, nullptr}));
        break;
      }
      case 'b': {  // BUILD
        auto state = pop(at);
        auto& r = as<Reduced>(top(at), at, "an object to BUILD");
        r.state = state;
        break;
      }
      default: return false;
    }
    return true;
  }

  [[noreturn]] void fail(std::size_t at, const std::string& found, const std::string& expected) const {
    throw DataError(fmt::format("{}: corrupt MiraBest pickle at byte {}: {}; expected {}", name_, at, found, expected));
  }

  template <class T>
  T& as(const ValuePtr& p, std::size_t at, const char* what) {
    if (auto* x = std::get_if<T>(&p->v)) return *x;
    fail(at, "a value of the wrong type", what);
  }
  std::string as_str(const ValuePtr& p, std::size_t at) { return as<std::string>(p, at, "a string"); }

 private:
  char u8() {
    if (pos_ >= b_.size())
      throw DataError(fmt::format("{}: truncated MiraBest pickle: ends at byte {} before the STOP opcode", name_,
                                  b_.size()));
    return b_[pos_++];
  }
  std::string fixed(std::size_t n) {
    if (n > b_.size() - pos_)
      throw DataError(fmt::format("{}: truncated MiraBest pickle: {} bytes wanted at byte {}, only {} left", name_, n,
                                  pos_, b_.size() - pos_));
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint64_t le(int n) {
    std::string s = fixed(n);
    std::uint64_t x = 0;
    for (int i = n - 1; i >= 0; --i) x = (x << 8) | static_cast<unsigned char>(s[i]);
    return x;
  }
  // LONG1: a little-endian two's-complement integer of n ≤ 8 bytes.
  std::int64_t long1(std::size_t at) {
    auto n = static_cast<unsigned char>(u8());
    if (n > 8) fail(at, fmt::format("LONG1 of {} bytes", n), "an integer of at most 8 bytes");
    std::string s = fixed(n);
    std::int64_t x = 0;
    for (int i = n - 1; i >= 0; --i) x = (x << 8) | static_cast<unsigned char>(s[i]);
    if (n > 0 && n < 8 && (static_cast<unsigned char>(s[n - 1]) & 0x80)) x -= (std::int64_t{1} << (8 * n));
    return x;
  }
  // BINFLOAT: a big-endian double.
  double binfloat() {
    std::string s = fixed(8);
    std::uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<unsigned char>(s[i]);
    double d;
    std::memcpy(&d, &u, 8);
    return d;
  }
  std::string line() {
    auto e = b_.find('\n', pos_);
    if (e == std::string::npos)
      throw DataError(fmt::format("{}: truncated MiraBest pickle: GLOBAL name at byte {} has no newline", name_, pos_));
    std::string s = b_.substr(pos_, e - pos_);
    pos_ = e + 1;
    return s;
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop(std::size_t at) {
    if (stack_.empty()) fail(at, "an empty stack", "a value to pop");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  const ValuePtr& top(std::size_t at) {
    if (stack_.empty()) fail(at, "an empty stack", "a value on the stack");
    return stack_.back();
  }
  ValuePtr get(std::uint64_t k, std::size_t at) {
    auto it = memo_.find(k);
    if (it == memo_.end()) fail(at, fmt::format("memo key {} never stored", k), "a stored memo key");
    return it->second;
  }
  std::vector<ValuePtr> pop_to_mark(std::size_t at) {
    std::vector<ValuePtr> xs;
    while (true) {
      if (stack_.empty()) fail(at, "no MARK on the stack", "a MARK");
      auto v = stack_.back();
      stack_.pop_back();
      if (std::holds_alternative<Mark>(v->v)) break;
      xs.push_back(v);
    }
    return {xs.rbegin(), xs.rend()};
  }

  const std::string& b_;
  std::string name_;
  std::size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::map<std::uint64_t, ValuePtr> memo_;
};

// numpy's ndarray pickle: _reconstruct(ndarray, (0,), b'b') then BUILD with
// (version, shape, dtype, is_fortran, raw bytes). Returns shape and raw bytes.
struct RawArray {
  std::vector<std::int64_t> shape;
  std::string dtype;  // e.g. "u1"
  const std::string* data = nullptr;
};

std::string dtype_name(const ValuePtr& d) {
  auto* r = std::get_if<Reduced>(&d->v);
  if (!r) return "";
  auto* t = std::get_if<Tuple>(&r->args->v);
  if (!t || t->items.empty()) return "";
  auto* s = std::get_if<std::string>(&t->items[0]->v);
  return s ? *s : "";
}

RawArray as_array(const ValuePtr& v, const std::string& name, std::size_t index) {
  auto bad = [&](const std::string& why) {
    return DataError(fmt::format("{}: data[{}] is not a numpy uint8 array: {}", name, index, why));
  };
  auto* r = std::get_if<Reduced>(&v->v);
  if (!r || !r->state) throw bad("not a reconstructed object");
  auto* st = std::get_if<Tuple>(&r->state->v);
  if (!st || st->items.size() != 5) throw bad("state is not a 5-tuple");
  RawArray a;
  auto* shape = std::get_if<Tuple>(&st->items[1]->v);
  if (!shape) throw bad("shape is not a tuple");
  for (auto& s : shape->items) {
    auto* x = std::get_if<std::int64_t>(&s->v);
    if (!x) throw bad("shape entry is not an integer");
    a.shape.push_back(*x);
  }
  a.dtype = dtype_name(st->items[2]);
  auto* fortran = std::get_if<bool>(&st->items[3]->v);
  if (fortran && *fortran) throw bad("Fortran order");
  if (auto* by = std::get_if<Bytes>(&st->items[4]->v)) a.data = &by->data;
  else if (auto* s = std::get_if<std::string>(&st->items[4]->v)) a.data = s;
  else throw bad("no raw pixel bytes");
  return a;
}

// numpy str scalar: scalar(dtype('<Un'), bytes UTF-32LE) → ASCII/UTF-8 (BMP only).
std::string as_text(const ValuePtr& v) {
  if (auto* s = std::get_if<std::string>(&v->v)) return *s;
  if (auto* by = std::get_if<Bytes>(&v->v)) return by->data;
  auto* r = std::get_if<Reduced>(&v->v);
  if (!r) return "";
  auto* t = std::get_if<Tuple>(&r->args->v);
  if (!t || t->items.size() < 2) return "";
  auto* by = std::get_if<Bytes>(&t->items[1]->v);
  if (!by) return "";
  std::string out;
  for (std::size_t i = 0; i + 3 < by->data.size(); i += 4) {
    std::uint32_t c = static_cast<unsigned char>(by->data[i]) | (static_cast<unsigned char>(by->data[i + 1]) << 8) |
                      (static_cast<unsigned char>(by->data[i + 2]) << 16);
    if (c == 0) break;
    if (c < 0x80) out.push_back(static_cast<char>(c));
    else out.push_back('?');
  }
  return out;
}

}  // namespace

MiraBestBatch parse_mirabest_batch(const std::string& bytes, const std::string& name) {
  PickleMachine vm(bytes, name);
  ValuePtr root = vm.run();
  auto* dict = std::get_if<Dict>(&root->v);
  if (!dict) throw DataError(fmt::format("{}: MiraBest pickle does not hold a dict at the top", name));
  std::map<std::string, ValuePtr> keys;
  for (auto& [k, v] : dict->items)
    if (auto* s = std::get_if<std::string>(&k->v)) keys[*s] = v;
  for (const char* k : {"labels", "data"})
    if (!keys.count(k)) throw DataError(fmt::format("{}: MiraBest pickle has no key '{}'", name, k));
  MiraBestBatch batch;
  if (keys.count("batch_label")) batch.batch_label = as_text(keys["batch_label"]);
  auto* labels = std::get_if<List>(&keys["labels"]->v);
  auto* data = std::get_if<List>(&keys["data"]->v);
  if (!labels) throw DataError(fmt::format("{}: MiraBest key 'labels' is not a list", name));
  if (!data) throw DataError(fmt::format("{}: MiraBest key 'data' is not a list", name));
  if (labels->items.size() != data->items.size())
    throw DataError(fmt::format("{}: MiraBest batch has {} labels but {} images", name, labels->items.size(),
                                data->items.size()));
  for (std::size_t i = 0; i < labels->items.size(); ++i) {
    auto* x = std::get_if<std::int64_t>(&labels->items[i]->v);
    if (!x) throw DataError(fmt::format("{}: labels[{}] is not an integer", name, i));
    if (*x < 0 || *x > 9)
      throw DataError(fmt::format("{}: labels[{}] = {} is not a MiraBest label index (expected 0..9)", name, i, *x));
    batch.labels.push_back(static_cast<int>(*x));
  }
  for (std::size_t i = 0; i < data->items.size(); ++i) {
    RawArray a = as_array(data->items[i], name, i);
    if (a.shape.size() != 2 || a.dtype != "u1")
      throw DataError(fmt::format("{}: data[{}] has {} dimensions and dtype '{}'; expected a 2-D uint8 ('u1') array",
                                  name, i, a.shape.size(), a.dtype));
    if (i == 0) {
      batch.height = static_cast<int>(a.shape[0]);
      batch.width = static_cast<int>(a.shape[1]);
      batch.pixels.reserve(data->items.size() * a.shape[0] * a.shape[1]);
    } else if (a.shape[0] != batch.height || a.shape[1] != batch.width) {
      throw DataError(fmt::format("{}: data[{}] is {}×{}; expected {}×{} like data[0]", name, i, a.shape[0],
                                  a.shape[1], batch.height, batch.width));
    }
    auto n = static_cast<std::size_t>(a.shape[0] * a.shape[1]);
    if (a.data->size() != n)
      throw DataError(fmt::format("{}: data[{}] holds {} bytes; expected {} for {}×{} uint8", name, i, a.data->size(),
                                  n, a.shape[0], a.shape[1]));
    batch.pixels.insert(batch.pixels.end(), a.data->begin(), a.data->end());
  }
  if (keys.count("filenames"))
    if (auto* f = std::get_if<List>(&keys["filenames"]->v))
      for (auto& v : f->items) batch.filenames.push_back(as_text(v));
  return batch;
}

MiraBestBatch read_mirabest_batch(const std::filesystem::path& path) {
  require_exists(path.string(), "MiraBest batch");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(fmt::format("{}: cannot open MiraBest batch", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_mirabest_batch(ss.str(), path.string());
}

MiraBestSubset parse_mirabest_subset(const std::string& name) {
  if (name == "confident") return MiraBestSubset::kConfident;
  if (name == "uncertain") return MiraBestSubset::kUncertain;
  if (name == "all") return MiraBestSubset::kAll;
  if (name == "hybrid") return MiraBestSubset::kHybrid;
  throw UsageError(fmt::format("MiraBest subset '{}' unknown; expected confident, uncertain, all or hybrid", name));
}

int mirabest_class(int label_index, MiraBestSubset subset) {
  switch (subset) {
    case MiraBestSubset::kConfident:
      return (label_index <= 2) ? 0 : (label_index == 5 || label_index == 6) ? 1 : -1;
    case MiraBestSubset::kUncertain:
      return (label_index == 3 || label_index == 4) ? 0 : (label_index == 7) ? 1 : -1;
    case MiraBestSubset::kAll:
      return (label_index >= 0 && label_index <= 4) ? 0 : (label_index >= 5 && label_index <= 7) ? 1 : -1;
    case MiraBestSubset::kHybrid:
      return label_index == 8 ? 0 : label_index == 9 ? 1 : -1;
  }
  return -1;
}

std::string mirabest_code(int label_index) {
  static const char* codes[] = {"100", "102", "104", "110", "112", "200", "201", "210", "300", "310"};
  if (label_index < 0 || label_index > 9)
    throw DataError(fmt::format("MiraBest label index {} unknown; expected 0..9", label_index));
  return codes[label_index];
}

LabelledImages read_mirabest(const std::filesystem::path& dir, MiraBestSubset subset, const std::vector<int>& batches) {
  require_exists(dir.string(), "MiraBest folder");
  LabelledImages out;
  out.class_names = subset == MiraBestSubset::kHybrid ? std::vector<std::string>{"hybrid-confident", "hybrid-uncertain"}
                                                      : std::vector<std::string>{"FRI", "FRII"};
  for (int b : batches) {
    auto path = dir / fmt::format("data_batch_{}", b);
    if (!std::filesystem::exists(path))
      throw MissingInputError(fmt::format("{}: MiraBest batch not found (expected data_batch_1..7 in {})",
                                          path.string(), dir.string()));
    MiraBestBatch batch = read_mirabest_batch(path);
    if (out.height == 0) {
      out.height = batch.height;
      out.width = batch.width;
    } else if (batch.height != out.height || batch.width != out.width) {
      throw DataError(fmt::format("{}: images are {}×{}; earlier batches were {}×{}", path.string(), batch.height,
                                  batch.width, out.height, out.width));
    }
    std::size_t npix = static_cast<std::size_t>(batch.height) * batch.width;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      int c = mirabest_class(batch.labels[i], subset);
      if (c < 0) continue;
      const std::uint8_t* p = batch.pixels.data() + i * npix;
      for (std::size_t k = 0; k < npix; ++k) out.pixels.push_back(static_cast<float>(p[k]) / 255.0f);
      out.labels.push_back(c);
      out.ids.push_back(i < batch.filenames.size() ? batch.filenames[i] : fmt::format("batch{}:{}", b, i));
    }
  }
  return out;
}

}  // namespace penumbra
