#include "mamori/detect/analytics/profile.hpp"

#include <cstring>

namespace mamori::analytics {

string_pool::string_pool() {
  intern("");
}

std::uint32_t string_pool::intern(std::string_view s) {
  auto it = index_.find(s);
  if (it != index_.end()) return it->second;
  strings_.emplace_back(s);
  const auto id = static_cast<std::uint32_t>(strings_.size() - 1);
  index_.emplace(strings_.back(), id);
  return id;
}

namespace {

constexpr std::uint8_t user_format = 2;
constexpr std::uint8_t org_format = 2;

class writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void var(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void svar(std::int64_t v) {
    var((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void str(std::string_view s) {
    var(s.size());
    out_.append(s);
  }
  void f64(double d) {
    char b[8];
    std::memcpy(b, &d, 8);
    out_.append(b, 8);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  std::uint8_t u8() {
    if (pos_ >= in_.size()) return fail_u8();
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint64_t var() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) {
        ok_ = false;
        return 0;
      }
      const auto b = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  std::int64_t svar() {
    const std::uint64_t u = var();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::string_view str() {
    const std::uint64_t n = var();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  double f64() {
    if (in_.size() - pos_ < 8) {
      ok_ = false;
      return 0;
    }
    double d = 0;
    std::memcpy(&d, in_.data() + pos_, 8);
    pos_ += 8;
    return d;
  }

 private:
  std::uint8_t fail_u8() {
    ok_ = false;
    return 0;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

template <std::size_t N>
void write_strings(writer& w, const top_counts<N>& t, const string_pool& pool) {
  w.u8(t.size);
  for (std::uint8_t k = 0; k < t.size; ++k) {
    w.str(pool.get(t.keys[k]));
    w.var(t.counts[k]);
  }
}

template <std::size_t N>
void read_strings(reader& r, top_counts<N>& t, string_pool& pool) {
  const std::uint8_t n = r.u8();
  for (std::uint8_t k = 0; k < n && r.ok(); ++k) {
    const std::uint32_t key = pool.intern(r.str());
    t.add(key, static_cast<std::uint32_t>(r.var()));
  }
}

template <std::size_t N>
void write_numbers(writer& w, const top_counts<N>& t) {
  w.u8(t.size);
  for (std::uint8_t k = 0; k < t.size; ++k) {
    w.var(t.keys[k]);
    w.var(t.counts[k]);
  }
}

template <std::size_t N>
void read_numbers(reader& r, top_counts<N>& t) {
  const std::uint8_t n = r.u8();
  for (std::uint8_t k = 0; k < n && r.ok(); ++k) {
    const auto key = static_cast<std::uint32_t>(r.var());
    t.add(key, static_cast<std::uint32_t>(r.var()));
  }
}

}  // namespace

std::string serialize(const user_profile& p, const string_pool& pool) {
  writer w;
  w.u8(user_format);
  w.str(p.name);
  w.svar(p.first_seen);
  w.svar(p.last_seen);
  w.var(p.sign_ins);
  w.var(p.failures);
  w.var(p.api_calls);
  w.var(p.admin_ops);
  w.var(p.egress);
  write_strings(w, p.countries, pool);
  write_numbers(w, p.asns);
  write_strings(w, p.os, pool);
  write_strings(w, p.browsers, pool);
  write_strings(w, p.devices, pool);
  write_strings(w, p.services, pool);
  for (auto h : p.hours) w.var(h);
  for (const auto& v : p.volume) {
    w.u8(v.n);
    // Oldest first, so reading back with push() restores the order.
    for (std::uint8_t k = 0; k < v.n; ++k) {
      const std::size_t slot =
          (v.pos + volume_series::history_size - v.n + k) % volume_series::history_size;
      w.var(v.counts[slot]);
      w.var(v.kbytes[slot]);
    }
    w.svar(v.window_start);
    w.var(v.count);
    w.var(v.bytes);
  }
  w.u8(p.last ? 1 : 0);
  if (p.last) {
    const last_location& l = *p.last;
    w.svar(l.time_ns);
    w.f64(l.lat);
    w.f64(l.lon);
    w.str(pool.get(l.country));
    w.str(pool.get(l.city));
    w.var(l.asn);
    w.var(l.accuracy_km);
    w.var(l.flags);
    w.u8(l.mobile ? 1 : 0);
    w.u8(l.ip.v4 ? 1 : 0);
    w.var(static_cast<std::uint64_t>(l.ip.value >> 64));
    w.var(static_cast<std::uint64_t>(l.ip.value));
    w.str(l.event_ref);
  }
  return w.take();
}

bool deserialize(std::string_view bytes, user_profile& p, string_pool& pool) {
  reader r(bytes);
  const std::uint8_t version = r.u8();
  if (version != 1 && version != user_format) return false;
  p.name = std::string(r.str());
  p.first_seen = r.svar();
  p.last_seen = r.svar();
  p.sign_ins = static_cast<std::uint32_t>(r.var());
  p.failures = static_cast<std::uint32_t>(r.var());
  p.api_calls = static_cast<std::uint32_t>(r.var());
  p.admin_ops = static_cast<std::uint32_t>(r.var());
  if (version >= 2) p.egress = static_cast<std::uint32_t>(r.var());
  read_strings(r, p.countries, pool);
  read_numbers(r, p.asns);
  read_strings(r, p.os, pool);
  read_strings(r, p.browsers, pool);
  read_strings(r, p.devices, pool);
  read_strings(r, p.services, pool);
  for (auto& h : p.hours) h = static_cast<std::uint16_t>(r.var());
  for (auto& v : p.volume) {
    const std::uint8_t n = r.u8();
    for (std::uint8_t k = 0; k < n && r.ok(); ++k) {
      const auto c = static_cast<std::uint32_t>(r.var());
      const auto kb = static_cast<std::uint32_t>(r.var());
      v.push(c, kb);
    }
    v.window_start = r.svar();
    v.count = static_cast<std::uint32_t>(r.var());
    v.bytes = r.var();
  }
  if (r.u8() == 1) {
    last_location l;
    l.time_ns = r.svar();
    l.lat = r.f64();
    l.lon = r.f64();
    l.country = pool.intern(r.str());
    l.city = pool.intern(r.str());
    l.asn = static_cast<std::uint32_t>(r.var());
    l.accuracy_km = static_cast<std::uint32_t>(r.var());
    l.flags = static_cast<std::uint32_t>(r.var());
    l.mobile = r.u8() == 1;
    l.ip.v4 = r.u8() == 1;
    const std::uint64_t hi = r.var();
    const std::uint64_t lo = r.var();
    l.ip.value = (static_cast<uint128>(hi) << 64) | lo;
    l.event_ref = std::string(r.str());
    p.last = std::move(l);
  }
  return r.ok();
}

std::string serialize(const org_profile& o, const string_pool& pool) {
  writer w;
  w.u8(org_format);
  w.svar(o.first_seen);
  w.var(o.users);
  w.var(o.country_users.size());
  for (const auto& [country, users] : o.country_users) {
    w.str(pool.get(country));
    w.var(users);
  }
  w.var(o.asn_users.size());
  for (const auto& [asn, users] : o.asn_users) {
    w.var(asn);
    w.var(users);
  }
  return w.take();
}

bool deserialize(std::string_view bytes, org_profile& o, string_pool& pool) {
  reader r(bytes);
  const std::uint8_t version = r.u8();
  if (version != 1 && version != org_format) return false;
  o.first_seen = r.svar();
  o.users = static_cast<std::uint32_t>(r.var());
  const std::uint64_t n = r.var();
  for (std::uint64_t k = 0; k < n && r.ok(); ++k) {
    const std::uint32_t c = pool.intern(r.str());
    o.country_users[c] = static_cast<std::uint32_t>(r.var());
  }
  if (version >= 2) {
    const std::uint64_t m = r.var();
    for (std::uint64_t k = 0; k < m && r.ok(); ++k) {
      const auto asn = static_cast<std::uint32_t>(r.var());
      o.asn_users[asn] = static_cast<std::uint32_t>(r.var());
    }
  }
  return r.ok();
}

std::size_t memory_bytes(const user_profile& p) {
  std::size_t n = sizeof(user_profile);
  if (p.name.capacity() > 15) n += p.name.capacity();
  if (p.last && p.last->event_ref.capacity() > 15) n += p.last->event_ref.capacity();
  return n;
}

}  // namespace mamori::analytics
