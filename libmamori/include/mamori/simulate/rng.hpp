#pragma once
// Deterministic randomness for the simulator. The standard library's distributions are not
// portable across implementations, so mamori draws its own from xoshiro256** (Blackman and
// Vigna) seeded through splitmix64. Every generator derives an independent stream from
// (seed, purpose, entity, day) with stream(), so the output of one source never depends on
// the order in which the others ran: that is what makes the output byte-identical.

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

namespace mamori::sim {

__extension__ typedef unsigned __int128 u128;  // GNU extension (g++ and clang)

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Order-sensitive hash of a few integers (for stream keys and ids).
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL);
  return splitmix64(x);
}

// 64-bit FNV-1a of a string: stable names for stream purposes.
constexpr std::uint64_t name_hash(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

class rng {
 public:
  explicit rng(std::uint64_t seed) {
    for (auto& s : s_) s = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant here and the
  // result is the same on every platform).
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) return 0;
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }
  // Uniform integer in [lo, hi].
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  // Uniform in [0, 1) with 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  // Exponential with the given mean (inter-arrival times).
  double exponential(double mean) { return -mean * std::log1p(-unit()); }
  // Normal by Box-Muller.
  double normal(double mean, double sd) {
    const double u1 = 1.0 - unit();
    const double u2 = unit();
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  template <typename T>
  const T& pick(std::span<const T> items) {
    return items[below(items.size())];
  }
  // Index drawn with the given weights (need not sum to 1).
  std::size_t weighted(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = unit() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.empty() ? 0 : weights.size() - 1;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// An independent stream for (seed, purpose, a, b).
inline rng stream(std::uint64_t seed, std::uint64_t purpose, std::uint64_t a = 0,
                  std::uint64_t b = 0) {
  return rng(mix(mix(mix(seed, purpose), a), b));
}

}  // namespace mamori::sim
