// The discovery report as one self-contained HTML file: inline CSS, inline SVG charts, no
// script, no external resource (fonts, images, CDNs), so it opens offline and can be mailed.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <set>

#include "mamori/discover/report.hpp"

namespace mamori::discover {

namespace {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string short_time(std::int64_t ns) {
  std::string t = iso_time(ns);
  if (t.empty()) return "-";
  return t.substr(0, 10) + " " + t.substr(11, 5);
}

constexpr std::string_view css = R"(
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
header{background:#1d2433;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#c6cbd6;font-size:13px}
main{padding:20px 32px;max-width:1280px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:16px;margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1;min-width:140px;background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card b{display:block;font-size:26px}
.card span{color:#5b6475;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.row{display:flex;flex-wrap:wrap;gap:18px}
.row section{flex:1;min-width:380px}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th{text-align:left;color:#5b6475;font-weight:600;border-bottom:2px solid #e3e6eb;padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid #eef0f3;padding:5px 8px;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.b{display:inline-block;border-radius:10px;padding:1px 8px;font-size:11px;font-weight:600;white-space:nowrap}
.prohibited{background:#fde2e1;color:#a4161a}.unsanctioned{background:#fff1d6;color:#8a5300}.sanctioned{background:#dff5e3;color:#1e6b31}
.high{background:#fde2e1;color:#a4161a}.medium{background:#fff1d6;color:#8a5300}.low{background:#dff5e3;color:#1e6b31}.unrated{background:#eceff3;color:#5b6475}
.critical{background:#a4161a;color:#fff}.informational{background:#eceff3;color:#5b6475}
footer{color:#5b6475;font-size:12px;padding:0 32px 28px}
svg text{font-family:inherit;font-size:11px;fill:#1d2433}
.muted{color:#5b6475}
)";

// Colours shared by charts and badges.
constexpr std::string_view c_prohibited = "#d1495b";
constexpr std::string_view c_unsanctioned = "#edae49";
constexpr std::string_view c_sanctioned = "#66a182";

std::string risk_chart(const inventory& inv) {
  // Apps per risk level, stacked by sanction status.
  const std::array<std::string_view, 4> levels = {"high", "medium", "low", "unrated"};
  std::map<std::string_view, std::array<std::size_t, 3>> counts;
  for (auto l : levels) counts[l] = {0, 0, 0};
  for (const auto& a : inv.apps) {
    auto it = counts.find(a.risk);
    if (it == counts.end()) continue;
    const std::size_t k = a.status == sanction::prohibited     ? 0
                          : a.status == sanction::unsanctioned ? 1
                                                               : 2;
    ++it->second[k];
  }
  std::size_t max = 1;
  for (const auto& [l, c] : counts) max = std::max(max, c[0] + c[1] + c[2]);
  const int w = 520, bar_h = 30, gap = 14, left = 100, right = 50;
  const int h = static_cast<int>(levels.size()) * (bar_h + gap) + 36;
  std::string s = fmt::format(
      "<svg viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"Apps by risk level\">",
      w, h);
  int y = 8;
  for (auto l : levels) {
    const auto& c = counts[l];
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 8,
                     y + bar_h / 2 + 4,
                     l == "unrated" ? std::string("unrated") : std::string(l) + " risk");
    double x = left;
    const std::array<std::string_view, 3> colours = {c_prohibited, c_unsanctioned, c_sanctioned};
    for (int k = 0; k < 3; ++k) {
      const double bw = static_cast<double>(w - left - right) * static_cast<double>(c[k]) /
                        static_cast<double>(max);
      if (bw > 0)
        s += fmt::format(
            "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{} "
            "{}</title></rect>",
            x, y, bw, bar_h, colours[k], c[k],
            k == 0   ? "prohibited"
            : k == 1 ? "unsanctioned"
                     : "sanctioned");
      x += bw;
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>", x + 6, y + bar_h / 2 + 4,
                     c[0] + c[1] + c[2]);
    y += bar_h + gap;
  }
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" "
      "y=\"{}\">prohibited</text>"
      "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" "
      "y=\"{}\">unsanctioned</text>"
      "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" "
      "y=\"{}\">sanctioned</text>",
      left, y + 2, c_prohibited, left + 14, y + 11, left + 100, y + 2, c_unsanctioned, left + 114,
      y + 11, left + 220, y + 2, c_sanctioned, left + 234, y + 11);
  s += "</svg>";
  return s;
}

struct uploader {
  std::string user, app;
  sanction status = sanction::unsanctioned;
  std::uint64_t bytes = 0;
};

std::string uploaders_chart(const inventory& inv, std::vector<uploader>& top) {
  for (const auto& a : inv.apps)
    for (const auto& u : a.users)
      if (u.bytes_up > 0) top.push_back({u.user, a.name, a.status, u.bytes_up});
  std::sort(top.begin(), top.end(), [](const uploader& x, const uploader& y) {
    return x.bytes != y.bytes ? x.bytes > y.bytes : x.user < y.user;
  });
  if (top.size() > 10) top.resize(10);
  if (top.empty())
    return "<p class=\"muted\">No upload volume in these logs (DNS and TLS logs carry none).</p>";
  const int w = 560, bar_h = 20, gap = 8, left = 250, right = 70;
  const int h = static_cast<int>(top.size()) * (bar_h + gap) + 8;
  const double max = static_cast<double>(top.front().bytes);
  std::string s = fmt::format(
      "<svg viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"Top uploaders\">", w, h);
  int y = 4;
  for (const auto& u : top) {
    std::string label = u.user + " → " + u.app;
    if (label.size() > 40) label = label.substr(0, 39) + "…";
    const double bw =
        std::max(1.0, static_cast<double>(w - left - right) * static_cast<double>(u.bytes) / max);
    const std::string_view colour = u.status == sanction::prohibited     ? c_prohibited
                                    : u.status == sanction::unsanctioned ? c_unsanctioned
                                                                         : c_sanctioned;
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 6, y + 14,
                     esc(label));
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"/>", left,
                     y, bw, bar_h, colour);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>", left + bw + 5, y + 14,
                     esc(human_bytes(u.bytes)));
    y += bar_h + gap;
  }
  s += "</svg>";
  return s;
}

std::string trend_chart(const inventory& inv) {
  // 5-minute buckets for up to 12 hours of logs, hours up to a week, days beyond.
  std::vector<std::pair<std::int64_t, std::uint64_t>> total, unsanctioned;
  std::string unit = "5 minutes";
  std::int64_t unit_ns = 5LL * 60 * 1'000'000'000LL;
  if (!inv.trend_total.empty()) {
    const std::int64_t span = inv.trend_total.back().first - inv.trend_total.front().first;
    const std::int64_t hour = 3600 * 1'000'000'000LL;
    if (span > 7LL * 24 * hour) {
      unit = "day";
      unit_ns = 24 * hour;
    } else if (span > 12LL * hour) {
      unit = "hour";
      unit_ns = hour;
    }
  }
  auto regroup = [&](const std::vector<std::pair<std::int64_t, std::uint64_t>>& in) {
    std::map<std::int64_t, std::uint64_t> m;
    for (const auto& [t, n] : in) m[t - ((t % unit_ns) + unit_ns) % unit_ns] += n;
    return std::vector<std::pair<std::int64_t, std::uint64_t>>(m.begin(), m.end());
  };
  total = regroup(inv.trend_total);
  unsanctioned = regroup(inv.trend_unsanctioned);
  if (total.empty()) return "<p class=\"muted\">No timestamps in these logs.</p>";
  // One column per period in time order (gaps between periods are not drawn to scale, so logs
  // from distant periods stay readable); at most 90 columns, merging neighbours beyond.
  std::map<std::int64_t, std::uint64_t> um(unsanctioned.begin(), unsanctioned.end());
  struct column {
    std::int64_t from, to;
    std::uint64_t all = 0, unsanctioned = 0;
  };
  std::vector<column> cols;
  const std::size_t per = (total.size() + 89) / 90;
  for (std::size_t k = 0; k < total.size(); ++k) {
    if (k % per == 0) cols.push_back({total[k].first, total[k].first});
    column& c = cols.back();
    c.to = total[k].first;
    c.all += total[k].second;
    if (auto it = um.find(total[k].first); it != um.end()) c.unsanctioned += it->second;
  }
  const int w = 1000, h = 240, left = 60, right = 20, top = 14, bottom = 44;
  std::uint64_t max = 1;
  for (const auto& c : cols) max = std::max(max, c.all);
  auto py = [&](std::uint64_t n) {
    return top + static_cast<double>(h - top - bottom) *
                     (1.0 - static_cast<double>(n) / static_cast<double>(max));
  };
  const double slot = static_cast<double>(w - left - right) / static_cast<double>(cols.size());
  const double bw = std::max(2.0, slot * 0.7);
  std::string s = fmt::format(
      "<svg viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"Requests per {}\">", w,
      h, unit);
  if (unit == "5 minutes")
    s += fmt::format("<text x=\"{}\" y=\"{}\">{} (UTC)</text>", left, top - 2,
                     esc(short_time(cols.front().from).substr(0, 10)));
  for (int g = 0; g <= 4; ++g) {
    const std::uint64_t v = max * static_cast<std::uint64_t>(g) / 4;
    const double y = py(v);
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eef0f3\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>",
        left, y, w - right, y, left - 6, y + 4, v);
  }
  auto label = [&](std::int64_t t) {
    std::string l = short_time(t);
    return unit == "day" ? l.substr(0, 10) : unit == "hour" ? l : l.substr(11);
  };
  const std::size_t every = std::max<std::size_t>(1, cols.size() / 6);
  for (std::size_t k = 0; k < cols.size(); ++k) {
    const auto& c = cols[k];
    const double x = left + slot * static_cast<double>(k) + (slot - bw) / 2;
    const std::string when = c.from == c.to ? label(c.from) : label(c.from) + " to " + label(c.to);
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#3c6e9f\">"
        "<title>{}: {} requests, {} to unsanctioned apps and unknown sites</title></rect>",
        x, py(c.all), bw, py(0) - py(c.all), esc(when), c.all, c.unsanctioned);
    if (c.unsanctioned > 0)
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>", x,
          py(c.unsanctioned), bw, py(0) - py(c.unsanctioned), c_unsanctioned);
    if (k % every == 0 || k + 1 == cols.size())
      s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x + bw / 2,
                       h - bottom + 16, esc(label(c.from)));
  }
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"#3c6e9f\"/><text x=\"{}\" "
      "y=\"{}\">requests per {}</text>"
      "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">of "
      "which to unsanctioned apps and unknown sites</text>",
      left, h - 14, left + 14, h - 5, unit, left + 160, h - 14, c_unsanctioned, left + 174, h - 5);
  s += "</svg>";
  return s;
}

}  // namespace

std::string render_html(const inventory& inv, const std::vector<finding>& findings,
                        const report_options& opts) {
  std::size_t prohibited = 0, unsanctioned = 0, sanctioned = 0, high = 0;
  std::uint64_t up = 0;
  std::set<std::string> users;
  for (const auto& a : inv.apps) {
    if (a.status == sanction::prohibited)
      ++prohibited;
    else if (a.status == sanction::sanctioned)
      ++sanctioned;
    else
      ++unsanctioned;
    if (a.risk == "high") ++high;
    up += a.bytes_up;
    for (const auto& u : a.users) users.insert(u.user);
  }
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
  h += fmt::format("<title>{}</title><style>{}</style></head><body>\n", esc(opts.title), css);
  std::string inputs;
  for (const auto& i : opts.inputs) inputs += (inputs.empty() ? "" : ", ") + i;
  h += fmt::format(
      "<header><h1>{}</h1><p>Logs from {} to {} &middot; {} events &middot; generated {} by "
      "mamori</p><p>{}</p></header>\n<main>\n",
      esc(opts.title), esc(short_time(inv.first_ns)), esc(short_time(inv.last_ns)), inv.events,
      esc(short_time(now)), esc(inputs));

  h += "<div class=\"cards\">";
  auto card = [&](std::string_view label, const std::string& value) {
    h += fmt::format("<div class=\"card\"><b>{}</b><span>{}</span></div>", esc(value), label);
  };
  card("cloud apps in use", std::to_string(inv.apps.size()));
  card("prohibited apps used", std::to_string(prohibited));
  card("unsanctioned apps", std::to_string(unsanctioned));
  card("high-risk apps", std::to_string(high));
  card("users and devices", std::to_string(users.size()));
  card("uploaded to apps", human_bytes(up));
  card("findings", std::to_string(findings.size()));
  h += "</div><br>\n";

  std::vector<uploader> top;
  h += "<div class=\"row\"><section><h2>Apps by risk level</h2>" + risk_chart(inv) +
       "</section><section><h2>Top uploaders</h2>" + uploaders_chart(inv, top) +
       "</section></div>\n";
  h += "<section><h2>Activity over time</h2>" + trend_chart(inv) + "</section>\n";

  h += "<section><h2>Cloud apps, riskiest first</h2><table><tr><th>Status</th><th>Risk</th>"
       "<th>Score</th><th>App</th><th>Category</th><th>Users</th><th>Requests</th><th>Up</th>"
       "<th>Down</th><th>First seen</th><th>Last seen</th><th>Use instead</th></tr>\n";
  std::size_t shown = 0;
  for (const auto& a : inv.apps) {
    if (shown++ >= 200) break;
    h += fmt::format(
        "<tr><td><span class=\"b {0}\">{0}</span></td><td><span class=\"b {1}\">{1}</span></td>"
        "<td class=\"n\">{2}</td><td title=\"{3}\">{4}</td><td>{5}</td><td class=\"n\">{6}</td>"
        "<td class=\"n\">{7}</td><td class=\"n\">{8}</td><td class=\"n\">{9}</td><td>{10}</td>"
        "<td>{11}</td><td>{12}</td></tr>\n",
        sanction_name(a.status), esc(a.risk), a.score ? fmt::format("{:.1f}", *a.score) : "&ndash;",
        esc(a.vendor.empty() ? a.id : a.vendor + " · " + a.id), esc(a.name), esc(a.category),
        a.user_count, a.requests, esc(human_bytes(a.bytes_up)), esc(human_bytes(a.bytes_down)),
        esc(short_time(a.first_ns)), esc(short_time(a.last_ns)), esc(a.alternative));
  }
  h += "</table>";
  if (inv.apps.size() > 200)
    h += fmt::format("<p class=\"muted\">{} more apps: see the NDJSON or CSV output.</p>",
                     inv.apps.size() - 200);
  h += "</section>\n";

  if (!findings.empty()) {
    h += "<section><h2>Findings</h2><table><tr><th>Level</th><th>Time</th><th>Finding</th>"
         "<th>Why</th></tr>\n";
    std::vector<const finding*> sorted;
    sorted.reserve(findings.size());
    for (const auto& f : findings) sorted.push_back(&f);
    std::stable_sort(sorted.begin(), sorted.end(), [](const finding* x, const finding* y) {
      return static_cast<int>(x->severity) > static_cast<int>(y->severity);
    });
    std::size_t k = 0;
    for (const finding* f : sorted) {
      if (k++ >= 200) break;
      h += fmt::format(
          "<tr><td><span class=\"b "
          "{0}\">{0}</span></td><td>{1}</td><td>{2}</td><td>{3}</td></tr>\n",
          esc(f->level), esc(short_time(f->time_ns)), esc(f->rule_name), esc(f->explanation));
    }
    h += "</table></section>\n";
  }

  if (!inv.unknown.empty()) {
    h += "<section><h2>Destinations not in the catalog</h2><table><tr><th>Host</th><th>Seen as</th>"
         "<th>Requests</th><th>Up</th><th>Down</th><th>Users</th><th>URL categories</th></tr>\n";
    for (std::size_t k = 0;
         k < inv.unknown.size() && k < std::max<std::size_t>(opts.max_unknown, 50); ++k) {
      const auto& u = inv.unknown[k];
      std::string cats;
      for (const auto& c : u.url_categories) cats += (cats.empty() ? "" : ", ") + c;
      h += fmt::format(
          "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
          "<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
          esc(u.host), destination_source_name(u.source), u.requests, esc(human_bytes(u.bytes_up)),
          esc(human_bytes(u.bytes_down)), u.user_count, esc(cats));
    }
    h += "</table></section>\n";
  }

  h += "<section><h2>How much the catalog recognised</h2><table><tr><th>Seen through</th>"
       "<th>Distinct names</th><th>Recognised apps</th><th>Internal</th><th>Share of external "
       "names</th></tr>\n";
  for (const auto& r : inv.recognition) {
    const std::uint64_t external = r.distinct - r.internal;
    h += fmt::format(
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{:.1f}%</td></tr>\n",
        destination_source_name(r.source), r.distinct, r.recognised, r.internal,
        external ? 100.0 * static_cast<double>(r.recognised) / static_cast<double>(external) : 0.0);
  }
  h += "</table></section>\n</main>\n<footer><p><b>Data sources.</b> ";
  for (const auto& s : inv.sources) h += esc(s) + ". ";
  h += "Risk scores are computed from curated attributes with the weights in "
       "data/catalog/weights.yaml (docs/catalog.md); unknown attributes are not guessed.</p>"
       "<p>Generated by mamori (Apache-2.0).</p></footer>\n</body></html>\n";
  return h;
}

}  // namespace mamori::discover
