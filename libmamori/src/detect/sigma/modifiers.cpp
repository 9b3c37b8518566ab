#include "mamori/detect/sigma/modifiers.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace mamori::sigma {

namespace {

enum class mod : std::uint8_t {
  contains,
  startswith,
  endswith,
  all,
  base64,
  base64offset,
  utf16le,
  utf16be,
  utf16,
  wide,
  windash,
  re,
  re_i,
  re_m,
  re_s,
  cidr,
  lt,
  lte,
  gt,
  gte,
  neq,
  exists,
  cased,
  expand,
  fieldref,
  minute,
  hour,
  day,
  week,
  month,
  year,
};

struct mod_name {
  std::string_view name;
  mod m;
};

constexpr mod_name mod_names[] = {
    {"contains", mod::contains},   {"startswith", mod::startswith},
    {"endswith", mod::endswith},   {"all", mod::all},
    {"base64", mod::base64},       {"base64offset", mod::base64offset},
    {"utf16le", mod::utf16le},     {"utf16be", mod::utf16be},
    {"utf16", mod::utf16},         {"wide", mod::wide},
    {"windash", mod::windash},     {"re", mod::re},
    {"i", mod::re_i},              {"ignorecase", mod::re_i},
    {"m", mod::re_m},              {"multiline", mod::re_m},
    {"s", mod::re_s},              {"dotall", mod::re_s},
    {"cidr", mod::cidr},           {"lt", mod::lt},
    {"lte", mod::lte},             {"gt", mod::gt},
    {"gte", mod::gte},             {"neq", mod::neq},
    {"exists", mod::exists},       {"cased", mod::cased},
    {"expand", mod::expand},       {"fieldref", mod::fieldref},
    {"minute", mod::minute},       {"hour", mod::hour},
    {"day", mod::day},             {"week", mod::week},
    {"month", mod::month},         {"year", mod::year},
};

std::optional<mod> find_mod(std::string_view name) {
  for (const auto& m : mod_names)
    if (m.name == name) return m.m;
  return std::nullopt;
}

bool is_transform(mod m) {
  switch (m) {
    case mod::contains:
    case mod::startswith:
    case mod::endswith:
    case mod::base64:
    case mod::base64offset:
    case mod::utf16le:
    case mod::utf16be:
    case mod::utf16:
    case mod::wide:
    case mod::windash:
      return true;
    default:
      return false;
  }
}

std::optional<time_unit> unit_of(mod m) {
  switch (m) {
    case mod::minute:
      return time_unit::minute;
    case mod::hour:
      return time_unit::hour;
    case mod::day:
      return time_unit::day;
    case mod::week:
      return time_unit::week;
    case mod::month:
      return time_unit::month;
    case mod::year:
      return time_unit::year;
    default:
      return std::nullopt;
  }
}

std::optional<cmp_op> cmp_of(mod m) {
  switch (m) {
    case mod::lt:
      return cmp_op::lt;
    case mod::lte:
      return cmp_op::lte;
    case mod::gt:
      return cmp_op::gt;
    case mod::gte:
      return cmp_op::gte;
    default:
      return std::nullopt;
  }
}

std::string_view cmp_name(cmp_op op) {
  switch (op) {
    case cmp_op::eq:
      return "=";
    case cmp_op::neq:
      return "!=";
    case cmp_op::lt:
      return "<";
    case cmp_op::lte:
      return "<=";
    case cmp_op::gt:
      return ">";
    case cmp_op::gte:
      return ">=";
  }
  return "?";
}

std::string_view unit_name(time_unit u) {
  switch (u) {
    case time_unit::minute:
      return "minute";
    case time_unit::hour:
      return "hour";
    case time_unit::day:
      return "day";
    case time_unit::week:
      return "week";
    case time_unit::month:
      return "month";
    case time_unit::year:
      return "year";
  }
  return "?";
}

std::optional<double> parse_number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// Decodes one UTF-8 code point; invalid bytes decode as U+FFFD, one byte at a time.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (c < 0x80) {
    ++i;
    return c;
  }
  if ((c & 0xE0) == 0xC0 && cont(1)) {
    char32_t cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
    i += 2;
    return cp;
  }
  if ((c & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    char32_t cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
                  (static_cast<unsigned char>(s[i + 2]) & 0x3F);
    i += 3;
    return cp;
  }
  if ((c & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    char32_t cp = ((c & 0x07) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 12) |
                  ((static_cast<unsigned char>(s[i + 2]) & 0x3F) << 6) |
                  (static_cast<unsigned char>(s[i + 3]) & 0x3F);
    i += 4;
    return cp;
  }
  ++i;
  return 0xFFFD;
}

// Splits `raw` on %placeholder% names and substitutes every combination of values.
tl::expected<std::vector<std::string>, build_error> expand_placeholders(
    std::string_view raw, const placeholder_map* placeholders) {
  std::vector<std::string> out{""};
  for (std::size_t i = 0; i < raw.size();) {
    if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == '%') {
      for (auto& o : out) o += '%';
      i += 2;
      continue;
    }
    if (raw[i] == '%') {
      const std::size_t end = raw.find('%', i + 1);
      if (end != std::string_view::npos && end > i + 1) {
        const std::string_view name = raw.substr(i + 1, end - i - 1);
        const std::vector<std::string>* values = nullptr;
        if (placeholders != nullptr) {
          auto it = placeholders->find(name);
          if (it != placeholders->end()) values = &it->second;
        }
        if (values == nullptr || values->empty()) {
          return tl::unexpected(build_error{
              fmt::format("placeholder %{}% has no value (define it under `placeholders:` in "
                          "the pipeline or with --placeholders)",
                          name),
              true});
        }
        std::vector<std::string> next;
        next.reserve(out.size() * values->size());
        for (const auto& o : out)
          for (const auto& v : *values) next.push_back(o + v);
        if (next.size() > 4096) {
          return tl::unexpected(
              build_error{"placeholder expansion produces more than 4096 values", true});
        }
        out = std::move(next);
        i = end + 1;
        continue;
      }
    }
    for (auto& o : out) o += raw[i];
    ++i;
  }
  return out;
}

struct item_mods {
  std::vector<mod> transforms;  // in written order
  bool all = false;
  bool re = false;
  bool re_i = false, re_m = false, re_s = false;
  bool cidr = false;
  std::optional<cmp_op> cmp;
  bool neq = false;
  bool exists = false;
  bool cased = false;
  bool expand = false;
  bool fieldref = false;
  std::optional<time_unit> unit;
};

build_error invalid(std::string reason) { return build_error{std::move(reason), false}; }

// Text of a scalar as a Sigma string value (numbers and booleans as written).
std::optional<std::string> scalar_text(const ynode& n) {
  if (n.is_scalar()) return n.text;
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// cidr

std::optional<cidr_net> cidr_net::parse(std::string_view text) {
  cidr_net n;
  std::string addr(text);
  int prefix = -1;
  if (auto slash = addr.find('/'); slash != std::string::npos) {
    std::string_view p = std::string_view(addr).substr(slash + 1);
    int v = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || ptr != p.data() + p.size()) return std::nullopt;
    prefix = v;
    addr.resize(slash);
  }
  if (inet_pton(AF_INET, addr.c_str(), n.addr.data()) == 1) {
    n.v6 = false;
    if (prefix < 0) prefix = 32;
    if (prefix > 32) return std::nullopt;
  } else if (inet_pton(AF_INET6, addr.c_str(), n.addr.data()) == 1) {
    n.v6 = true;
    if (prefix < 0) prefix = 128;
    if (prefix > 128) return std::nullopt;
  } else {
    return std::nullopt;
  }
  n.prefix = static_cast<std::uint8_t>(prefix);
  return n;
}

bool cidr_net::contains(std::string_view ip_text) const {
  if (ip_text.empty() || ip_text.size() > 64) return false;
  char buf[72];
  std::memcpy(buf, ip_text.data(), ip_text.size());
  buf[ip_text.size()] = 0;
  // Tolerate a zone suffix (fe80::1%eth0) and brackets ([::1]).
  char* start = buf;
  if (*start == '[') {
    ++start;
    if (char* close = std::strchr(start, ']')) *close = 0;
  }
  if (char* zone = std::strchr(start, '%')) *zone = 0;
  std::array<std::uint8_t, 16> a{};
  bool is_v6 = false;
  if (inet_pton(AF_INET, start, a.data()) == 1) {
    is_v6 = false;
  } else if (inet_pton(AF_INET6, start, a.data()) == 1) {
    is_v6 = true;
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4 networks.
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!v6 && std::memcmp(a.data(), mapped, 12) == 0) {
      std::memmove(a.data(), a.data() + 12, 4);
      is_v6 = false;
    }
  } else {
    return false;
  }
  if (is_v6 != v6) return false;
  const int full = prefix / 8;
  const int rest = prefix % 8;
  if (std::memcmp(a.data(), addr.data(), static_cast<std::size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[static_cast<std::size_t>(full)] & mask) == (addr[static_cast<std::size_t>(full)] & mask);
}

// ---------------------------------------------------------------------------------------
// encoders

std::string base64_encode(std::string_view bytes) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::vector<std::string> base64_offsets(std::string_view bytes) {
  // Shift the value by 0, 1 and 2 bytes inside the encoded stream. The leading characters
  // that also encode the shift bytes (0, 2 or 3 of them) and the trailing ones that also
  // encode whatever follows the value (0, 3 or 2 depending on the length) are dropped.
  static constexpr std::size_t start_drop[3] = {0, 2, 3};
  static constexpr std::size_t end_drop[3] = {0, 3, 2};
  std::vector<std::string> out;
  for (std::size_t shift = 0; shift < 3; ++shift) {
    std::string shifted(shift, ' ');
    shifted.append(bytes);
    const std::string enc = base64_encode(shifted);
    const std::size_t start = start_drop[shift];
    const std::size_t drop = end_drop[(bytes.size() + shift) % 3];
    if (enc.size() < start + drop) continue;
    const std::string part = enc.substr(start, enc.size() - start - drop);
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::string utf16_encode(std::string_view utf8, utf16_form form) {
  std::string out;
  out.reserve(utf8.size() * 2 + 2);
  auto unit = [&](std::uint16_t u) {
    if (form == utf16_form::be) {
      out += static_cast<char>(u >> 8);
      out += static_cast<char>(u & 0xFF);
    } else {
      out += static_cast<char>(u & 0xFF);
      out += static_cast<char>(u >> 8);
    }
  };
  if (form == utf16_form::bom_le) {
    out += '\xFF';
    out += '\xFE';
  }
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = next_code_point(utf8, i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      unit(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      unit(static_cast<std::uint16_t>(cp));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// leaf description

std::string leaf_spec::key() const {
  switch (kind) {
    case leaf_kind::pattern: {
      std::string k = cased ? "p:c:" : "p:i:";
      for (const auto& p : pattern.pieces()) {
        switch (p.kind) {
          case piece_kind::literal:
            k += fmt::format("L{}:", p.text.size());
            k += p.text;
            break;
          case piece_kind::star:
            k += '*';
            break;
          case piece_kind::one:
            k += '?';
            break;
          case piece_kind::dash:
            k += '-';
            break;
        }
      }
      return k;
    }
    case leaf_kind::regex:
      return fmt::format("r:{}{}{}:{}", re_i ? 'i' : '-', re_m ? 'm' : '-', re_s ? 's' : '-',
                         regex);
    case leaf_kind::cidr: {
      std::string k = fmt::format("c:{}:{}:", net.v6 ? 6 : 4, net.prefix);
      for (auto b : net.addr) k += fmt::format("{:02x}", b);
      return k;
    }
    case leaf_kind::compare:
      return fmt::format("n:{}:{}", static_cast<int>(op), number);
    case leaf_kind::null:
      return "null";
    case leaf_kind::exists:
      return exists ? "exists" : "absent";
    case leaf_kind::fieldref:
      return fmt::format("f:{}:{}:{}", static_cast<int>(mode), cased ? 'c' : 'i', ref_field);
    case leaf_kind::time_part:
      return fmt::format("t:{}:{}:{}", static_cast<int>(unit), static_cast<int>(op), number);
  }
  return {};
}

std::string leaf_spec::describe() const {
  switch (kind) {
    case leaf_kind::pattern: {
      const auto& ps = pattern.pieces();
      const std::string c = cased ? " (cased)" : "";
      if (ps.size() == 3 && ps[0].kind == piece_kind::star && ps[2].kind == piece_kind::star &&
          ps[1].kind == piece_kind::literal) {
        return fmt::format("contains '{}'{}", sstring::literal(ps[1].text).to_sigma(), c);
      }
      if (ps.size() == 2 && ps[0].kind == piece_kind::star && ps[1].kind == piece_kind::literal) {
        return fmt::format("ends with '{}'{}", sstring::literal(ps[1].text).to_sigma(), c);
      }
      if (ps.size() == 2 && ps[1].kind == piece_kind::star && ps[0].kind == piece_kind::literal) {
        return fmt::format("starts with '{}'{}", sstring::literal(ps[0].text).to_sigma(), c);
      }
      return fmt::format("matches '{}'{}", pattern.to_sigma(), c);
    }
    case leaf_kind::regex:
      return fmt::format("matches regex '{}'", regex);
    case leaf_kind::cidr:
      return fmt::format("in network {}/{}", net.v6 ? "IPv6" : "IPv4", net.prefix);
    case leaf_kind::compare:
      return fmt::format("{} {}", cmp_name(op), number);
    case leaf_kind::null:
      return "is null or absent";
    case leaf_kind::exists:
      return exists ? "exists" : "is absent";
    case leaf_kind::fieldref:
      return fmt::format("{} field {}",
                         mode == ref_mode::equals       ? "equals"
                         : mode == ref_mode::contains   ? "contains"
                         : mode == ref_mode::startswith ? "starts with"
                                                        : "ends with",
                         ref_field);
    case leaf_kind::time_part:
      return fmt::format("{} {} {}", unit_name(unit), cmp_name(op), number);
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// field items

tl::expected<dnode, build_error> build_item(std::string_view key, const ynode& value,
                                            std::vector<leaf_spec>& leaves,
                                            const placeholder_map* placeholders) {
  // Split "Field|mod|mod".
  std::string_view field = key.substr(0, key.find('|'));
  item_mods m;
  std::vector<mod> order;
  if (key.find('|') != std::string_view::npos) {
    std::string_view rest = key.substr(key.find('|') + 1);
    while (true) {
      const std::size_t bar = rest.find('|');
      const std::string_view name = rest.substr(0, bar);
      auto md = find_mod(name);
      if (!md) {
        if (name.empty()) return tl::unexpected(invalid("empty modifier ('||' in the key)"));
        return tl::unexpected(invalid(fmt::format("unknown modifier '{}'", name)));
      }
      order.push_back(*md);
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
  }
  for (mod md : order) {
    if (is_transform(md)) {
      m.transforms.push_back(md);
      continue;
    }
    if (auto c = cmp_of(md)) {
      if (m.cmp) return tl::unexpected(invalid("more than one of lt/lte/gt/gte"));
      m.cmp = c;
      continue;
    }
    if (auto u = unit_of(md)) {
      if (m.unit) return tl::unexpected(invalid("more than one time modifier"));
      m.unit = u;
      continue;
    }
    switch (md) {
      case mod::all:
        m.all = true;
        break;
      case mod::re:
        m.re = true;
        break;
      case mod::re_i:
      case mod::re_m:
      case mod::re_s:
        if (!m.re) {
          return tl::unexpected(
              invalid("regex flags i, m and s are sub-modifiers of re and must follow it"));
        }
        (md == mod::re_i ? m.re_i : md == mod::re_m ? m.re_m : m.re_s) = true;
        break;
      case mod::cidr:
        m.cidr = true;
        break;
      case mod::neq:
        m.neq = true;
        break;
      case mod::exists:
        m.exists = true;
        break;
      case mod::cased:
        m.cased = true;
        break;
      case mod::expand:
        m.expand = true;
        break;
      case mod::fieldref:
        m.fieldref = true;
        break;
      default:
        break;
    }
  }
  const bool keyword = field.empty();

  // Collect the values: a scalar/null, or a list of them.
  std::vector<const ynode*> values;
  if (value.is_sequence()) {
    if (value.items.empty()) return tl::unexpected(invalid("empty list of values"));
    for (const auto& i : value.items) {
      if (i.is_mapping() || i.is_sequence()) {
        return tl::unexpected(invalid("a value list may hold only scalar values"));
      }
      values.push_back(&i);
    }
  } else if (value.is_mapping()) {
    return tl::unexpected(invalid(fmt::format(
        "the value of '{}' is a mapping; a field takes a value or a list of values", key)));
  } else {
    values.push_back(&value);
  }

  auto add_leaf = [&](leaf_spec l) -> dnode {
    l.field = std::string(field);
    l.keyword = keyword;
    leaves.push_back(std::move(l));
    return dnode::make_leaf(static_cast<std::uint32_t>(leaves.size() - 1));
  };
  const auto link = m.all ? dnode::op::and_ : dnode::op::or_;
  auto combine = [&](std::vector<dnode> parts, dnode::op o) -> dnode {
    if (parts.size() == 1) return std::move(parts[0]);
    return dnode::make(o, std::move(parts));
  };

  // exists: a boolean, alone.
  if (m.exists) {
    if (keyword) return tl::unexpected(invalid("exists needs a field name"));
    if (order.size() != 1) return tl::unexpected(invalid("exists takes no other modifier"));
    if (values.size() != 1 || !values[0]->as_bool()) {
      return tl::unexpected(invalid("exists takes true or false"));
    }
    leaf_spec l;
    l.kind = leaf_kind::exists;
    l.exists = *values[0]->as_bool();
    return add_leaf(std::move(l));
  }

  std::vector<dnode> parts;
  for (const ynode* v : values) {
    std::vector<dnode> variants;
    if (v->is_null()) {
      if (!order.empty()) return tl::unexpected(invalid("null takes no modifier"));
      if (values.size() > 1) {
        return tl::unexpected(
            invalid("null cannot be part of a list of values (Sigma specification: use a "
                    "separate selection)"));
      }
      if (keyword) return tl::unexpected(invalid("null needs a field name"));
      leaf_spec l;
      l.kind = leaf_kind::null;
      parts.push_back(add_leaf(std::move(l)));
      continue;
    }
    const std::string text = *scalar_text(*v);

    if (m.re) {
      if (!m.transforms.empty() || m.cidr || m.cmp || m.fieldref || m.unit || m.expand) {
        return tl::unexpected(invalid("re cannot be combined with other value modifiers"));
      }
      leaf_spec l;
      l.kind = leaf_kind::regex;
      l.regex = text;
      l.re_i = m.re_i;
      l.re_m = m.re_m;
      l.re_s = m.re_s;
      variants.push_back(add_leaf(std::move(l)));
    } else if (m.cidr) {
      if (!m.transforms.empty() || m.cmp || m.fieldref || m.unit || m.expand) {
        return tl::unexpected(invalid("cidr cannot be combined with other value modifiers"));
      }
      auto net = cidr_net::parse(text);
      if (!net) return tl::unexpected(invalid(fmt::format("'{}' is not a CIDR network", text)));
      leaf_spec l;
      l.kind = leaf_kind::cidr;
      l.net = *net;
      variants.push_back(add_leaf(std::move(l)));
    } else if (m.unit) {
      if (keyword) return tl::unexpected(invalid("time modifiers need a field name"));
      auto num = parse_number(text);
      if (!num) return tl::unexpected(invalid(fmt::format("'{}' is not a number", text)));
      leaf_spec l;
      l.kind = leaf_kind::time_part;
      l.unit = *m.unit;
      l.op = m.cmp ? *m.cmp : (m.neq ? cmp_op::neq : cmp_op::eq);
      l.number = *num;
      variants.push_back(add_leaf(std::move(l)));
    } else if (m.cmp) {
      if (keyword) return tl::unexpected(invalid("lt/lte/gt/gte need a field name"));
      if (!m.transforms.empty() || m.fieldref || m.expand) {
        return tl::unexpected(invalid("lt/lte/gt/gte cannot be combined with string modifiers"));
      }
      auto num = parse_number(text);
      if (!num) {
        return tl::unexpected(invalid(fmt::format("'{}' is not a number for {}", text,
                                                  cmp_name(*m.cmp))));
      }
      leaf_spec l;
      l.kind = leaf_kind::compare;
      l.op = *m.cmp;
      l.number = *num;
      variants.push_back(add_leaf(std::move(l)));
    } else if (m.fieldref) {
      if (keyword) return tl::unexpected(invalid("fieldref needs a field name"));
      leaf_spec l;
      l.kind = leaf_kind::fieldref;
      l.ref_field = text;
      l.cased = m.cased;
      for (mod t : m.transforms) {
        if (t == mod::contains) {
          l.mode = ref_mode::contains;
        } else if (t == mod::startswith) {
          l.mode = ref_mode::startswith;
        } else if (t == mod::endswith) {
          l.mode = ref_mode::endswith;
        } else {
          return tl::unexpected(invalid(
              "fieldref combines only with contains, startswith, endswith, neq and cased"));
        }
      }
      variants.push_back(add_leaf(std::move(l)));
    } else {
      // String patterns.
      std::vector<std::string> raws{text};
      if (m.expand) {
        auto e = expand_placeholders(text, placeholders);
        if (!e) return tl::unexpected(e.error());
        raws = std::move(*e);
      }
      std::vector<sstring> current;
      for (const auto& r : raws) current.push_back(sstring::parse(r));
      bool anchored_mod = false;
      for (mod t : m.transforms) {
        std::vector<sstring> next;
        for (auto& s : current) {
          switch (t) {
            case mod::contains:
              s.prepend_star();
              s.append_star();
              next.push_back(std::move(s));
              anchored_mod = true;
              break;
            case mod::startswith:
              s.append_star();
              next.push_back(std::move(s));
              anchored_mod = true;
              break;
            case mod::endswith:
              s.prepend_star();
              next.push_back(std::move(s));
              anchored_mod = true;
              break;
            case mod::windash:
              s.apply_windash();
              next.push_back(std::move(s));
              break;
            case mod::base64:
            case mod::base64offset:
            case mod::utf16le:
            case mod::utf16be:
            case mod::utf16:
            case mod::wide: {
              if (!s.plain()) {
                return tl::unexpected(invalid(
                    "encoding modifiers (base64, base64offset, utf16*, wide) need a value "
                    "without wildcards; put contains/startswith/endswith after them"));
              }
              const std::string plain = s.plain_text();
              if (t == mod::base64) {
                next.push_back(sstring::literal(base64_encode(plain)));
              } else if (t == mod::base64offset) {
                for (auto& part : base64_offsets(plain)) next.push_back(sstring::literal(part));
              } else {
                const utf16_form form = t == mod::utf16be ? utf16_form::be
                                        : t == mod::utf16 ? utf16_form::bom_le
                                                          : utf16_form::le;
                next.push_back(sstring::literal(utf16_encode(plain, form)));
              }
              break;
            }
            default:
              break;
          }
        }
        current = std::move(next);
      }
      if (current.empty()) {
        return tl::unexpected(invalid(fmt::format("value '{}' encodes to nothing", text)));
      }
      for (auto& s : current) {
        if (keyword && !anchored_mod) {
          // Keywords are a full-text search: a keyword matches anywhere in a field.
          s.prepend_star();
          s.append_star();
        }
        leaf_spec l;
        l.kind = leaf_kind::pattern;
        l.pattern = std::move(s);
        l.cased = m.cased;
        variants.push_back(add_leaf(std::move(l)));
      }
    }
    parts.push_back(combine(std::move(variants), dnode::op::or_));
  }
  dnode expr = combine(std::move(parts), link);
  if (m.neq && !m.unit) {
    if (keyword) return tl::unexpected(invalid("neq needs a field name"));
    // "The field is different from the specified values": present, and none of them.
    leaf_spec ex;
    ex.kind = leaf_kind::exists;
    ex.exists = true;
    dnode present = add_leaf(std::move(ex));
    std::vector<dnode> both;
    both.push_back(std::move(present));
    both.push_back(dnode::make(dnode::op::not_, {std::move(expr)}));
    return dnode::make(dnode::op::and_, std::move(both));
  }
  return expr;
}

}  // namespace mamori::sigma
