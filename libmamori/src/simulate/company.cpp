#include "mamori/simulate/company.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>

#include "mamori/simulate/text.hpp"

namespace mamori::sim {

namespace {

constexpr std::string_view jp_given[] = {
    "Haruto", "Yuto",  "Sota",   "Yuki",    "Hayato",  "Ren",    "Takumi", "Kenta", "Daiki",
    "Shota",  "Kaito", "Riku",   "Hiroshi", "Takeshi", "Akira",  "Yui",    "Aoi",   "Sakura",
    "Hina",   "Yuna",  "Mei",    "Misaki",  "Ayaka",   "Nanami", "Haruka", "Emi",   "Keiko",
    "Naoko",  "Yoko",  "Tomoko", "Kazuki",  "Ryo",     "Sho",    "Mao",    "Rina",  "Kana"};
constexpr std::string_view jp_family[] = {
    "Sato",      "Suzuki",    "Takahashi", "Tanaka",   "Watanabe", "Ito",      "Yamamoto",
    "Nakamura",  "Kobayashi", "Kato",      "Yoshida",  "Yamada",   "Sasaki",   "Yamaguchi",
    "Matsumoto", "Inoue",     "Kimura",    "Hayashi",  "Shimizu",  "Yamazaki", "Mori",
    "Abe",       "Ikeda",     "Hashimoto", "Ishikawa", "Ogawa",    "Okada",    "Goto",
    "Hasegawa",  "Murakami",  "Kondo",     "Ishii"};
constexpr std::string_view de_given[] = {"Lukas", "Leon",  "Finn",  "Jonas", "Anna",  "Lena",
                                         "Julia", "Laura", "Felix", "Paul",  "Marie", "Sophie"};
constexpr std::string_view de_family[] = {"Mueller", "Schmidt",  "Schneider", "Fischer",
                                          "Weber",   "Meyer",    "Wagner",    "Becker",
                                          "Schulz",  "Hoffmann", "Koch",      "Richter"};
constexpr std::string_view us_given[] = {"James", "Michael", "Robert", "David",   "Emily", "Olivia",
                                         "Emma",  "Sarah",   "Daniel", "Jessica", "Kevin", "Laura"};
constexpr std::string_view us_family[] = {"Smith",  "Johnson",  "Williams", "Brown",
                                          "Jones",  "Garcia",   "Miller",   "Davis",
                                          "Wilson", "Anderson", "Taylor",   "Thomas"};

template <std::size_t N>
std::string_view pick(rng& r, const std::string_view (&arr)[N]) {
  return arr[r.below(N)];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

std::string uuid_string(rng& r, bool upper = false) {
  std::string s;
  append_uuid(s, r.next(), r.next(), upper);
  return s;
}

std::string alnum(rng& r, std::size_t n, bool upper_only = false) {
  static constexpr std::string_view chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz";
  const std::size_t span = upper_only ? 36 : chars.size();
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += chars[r.below(span)];
  return s;
}

std::string_view department_of(role r, rng& g) {
  switch (r) {
    case role::engineer:
      return g.chance(0.5) ? "Engineering" : "Production";
    case role::sales:
      return "Sales";
    case role::executive:
      return "Management";
    case role::it_admin:
    case role::cloud_admin:
      return "IT";
    case role::hr:
      return "HR";
    case role::finance:
      return "Finance";
    case role::staff:
      break;
  }
  constexpr std::string_view staff_depts[] = {"Procurement", "Quality", "Logistics",
                                              "General Affairs", "Production"};
  return staff_depts[g.below(5)];
}

const network* broadband_of(std::string_view country) {
  for (const auto& n : networks())
    if (n.country == country && n.kind == network_kind::broadband) return &n;
  return nullptr;
}

}  // namespace

std::string_view role_name(role r) {
  switch (r) {
    case role::staff:
      return "staff";
    case role::engineer:
      return "engineer";
    case role::sales:
      return "sales";
    case role::executive:
      return "executive";
    case role::it_admin:
      return "it_admin";
    case role::cloud_admin:
      return "cloud_admin";
    case role::hr:
      return "hr";
    case role::finance:
      return "finance";
  }
  return "staff";
}

const city& company::home_city_of(const person& p) const {
  return cities()[offices[p.office].city];
}

const server& company::server_by_name(std::string_view n) const {
  return servers[server_index(n)];
}

std::size_t company::server_index(std::string_view n) const {
  for (std::size_t i = 0; i < servers.size(); ++i)
    if (servers[i].name == n) return i;
  std::abort();  // a table bug
}

std::size_t company::principal_index(std::string_view n) const {
  for (std::size_t i = 0; i < aws_principals.size(); ++i)
    if (aws_principals[i].name == n) return i;
  std::abort();  // a table bug
}

company company::build(const company_options& opt) {
  company c;
  c.options = opt;
  rng r = stream(opt.seed, name_hash("company"));
  c.tenant_id = uuid_string(r);

  struct office_def {
    std::string_view name, code, city, net;
    std::uint32_t subnet;
    bool w3c;
    double share;
    std::array<std::string_view, 5> homes;
  };
  const office_def defs[] = {
      {"Tokyo HQ",
       "TKY",
       "Tokyo",
       "jp_ocn",
       0x0a0a0000,
       true,
       0.55,
       {"Tokyo", "Yokohama", "Kawasaki", "Saitama", "Chiba"}},
      {"Osaka Branch",
       "OSA",
       "Osaka",
       "jp_ocn",
       0x0a140000,
       false,
       0.20,
       {"Osaka", "Kyoto", "Kobe", "Osaka", "Osaka"}},
      {"Nagoya Plant",
       "NGY",
       "Toyota",
       "jp_softbank",
       0x0a1e0000,
       true,
       0.12,
       {"Nagoya", "Toyota", "Nagoya", "Nagoya", "Toyota"}},
      {"Frankfurt Office",
       "FRA",
       "Frankfurt am Main",
       "de_telekom",
       0x0a280000,
       true,
       0.07,
       {"Frankfurt am Main", "Frankfurt am Main", "Frankfurt am Main", "Frankfurt am Main",
        "Frankfurt am Main"}},
      {"San Jose Office",
       "SJC",
       "San Jose",
       "us_comcast",
       0x0a320000,
       true,
       0.06,
       {"San Jose", "San Francisco", "San Jose", "San Jose", "San Jose"}},
  };
  std::vector<double> shares;
  for (const auto& d : defs) {
    office o;
    o.name = d.name;
    o.code = d.code;
    o.city = city_index(d.city);
    o.egress_ip = address_in(network_by_id(d.net), mix(opt.seed, name_hash(d.code)));
    o.subnet = d.subnet;
    o.w3c_gateway = d.w3c;
    c.offices.push_back(o);
    shares.push_back(d.share);
  }

  const std::uint32_t n = std::max<std::uint32_t>(opt.users, 1);
  std::set<std::string> upns;
  std::vector<std::uint32_t> per_office_count(c.offices.size(), 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    rng g = stream(opt.seed, name_hash("person"), i);
    person p{};
    p.index = i;
    // The first persons fill the roles every scenario needs, the rest are drawn.
    p.office = i < 3 ? 0 : g.weighted(shares);
    const office& of = c.offices[p.office];
    const std::string_view country = cities()[of.city].country;
    std::string_view given, family;
    if (country == "DE") {
      given = pick(g, de_given);
      family = pick(g, de_family);
    } else if (country == "US") {
      given = pick(g, us_given);
      family = pick(g, us_family);
    } else {
      given = pick(g, jp_given);
      family = pick(g, jp_family);
    }
    p.given = given;
    p.family = family;
    p.display_name = std::string(given) + " " + std::string(family);
    std::string local = lower(given) + "." + lower(family);
    std::string upn = local + "@" + c.domain;
    for (int k = 2; upns.count(upn); ++k) upn = local + std::to_string(k) + "@" + c.domain;
    upns.insert(upn);
    p.upn = upn;
    p.sam = upn.substr(0, upn.find('@'));
    p.object_id = uuid_string(g);
    p.okta_id = "00u" + alnum(g, 17);
    p.box_id = std::to_string(20000000000ULL + g.below(900000000ULL));
    p.sid = c.domain_sid + "-" + std::to_string(1100 + i);

    if (i < 3) {
      p.job = role::cloud_admin;
    } else {
      const double w[] = {0.35, 0.24, 0.15, 0.03, 0.04, 0.0, 0.08, 0.11};
      p.job = static_cast<role>(g.weighted(w));
    }
    p.department = department_of(p.job, g);
    const auto& homes = defs[p.office].homes;
    p.home_city = city_index(homes[g.below(homes.size())]);
    const std::string_view home_country = cities()[p.home_city].country;
    if (home_country == "JP") {
      p.home_net = &network_by_id(g.chance(0.55) ? "jp_ocn" : "jp_softbank");
      p.mobile_net = &network_by_id(g.chance(0.55) ? "jp_docomo" : "jp_kddi");
    } else if (home_country == "US") {
      p.home_net = &network_by_id("us_comcast");
      p.mobile_net = &network_by_id(g.chance(0.5) ? "us_verizon" : "us_tmobile");
    } else {
      p.home_net = broadband_of(home_country);
      p.mobile_net = p.home_net;
    }
    p.home_ip = address_in(*p.home_net, mix(opt.seed, mix(name_hash("home"), i)));
    const double start_h = std::clamp(g.normal(country == "US" ? 8.5 : 8.75, 0.6), 7.0, 10.5);
    p.work_start_min = static_cast<int>(start_h * 60) / 5 * 5;
    p.work_len_min = static_cast<int>(std::clamp(g.normal(9.25, 0.7), 7.5, 11.5) * 60) / 5 * 5;
    // Hybrid work: 0-3 remote weekdays.
    const int remote = static_cast<int>(g.below(4));
    for (int k = 0; k < remote; ++k)
      p.remote_days |= static_cast<std::uint8_t>(1u << g.range(1, 5));
    p.vpn_full_tunnel = g.chance(0.7);
    p.mfa = i == 3 ? false : g.chance(0.9);  // person 3 is the spray victim's weak account
    const bool mac = g.chance(p.job == role::engineer ? 0.4 : 0.15);
    p.laptop_profile = mac ? 3 + g.below(2) : g.below(3);
    p.phone_profile = g.chance(0.65) ? 5 : 6 + g.below(2);
    const std::uint32_t seq = ++per_office_count[p.office];
    p.laptop_host = std::string(mac ? "MB-" : "WS-") + of.code + "-";
    append_padded(p.laptop_host, seq, 4);
    p.laptop_device_id = uuid_string(g);
    p.phone_device_id = uuid_string(g);
    p.laptop_ip = of.subnet + 0x0100 * (2 + seq / 250) + 10 + seq % 240;
    p.laptop_managed = g.chance(0.95);
    p.activity = std::clamp(g.normal(1.0, 0.3), 0.4, 2.0);
    c.people.push_back(std::move(p));
  }

  // Business trips: sales and executives often, others rarely.
  const std::int64_t first_day = opt.start_ns / ns_per_day;
  const std::string_view destinations[] = {
      "Osaka",     "Nagoya", "Fukuoka", "Tokyo",    "San Jose", "Frankfurt am Main",
      "Singapore", "London", "Paris",   "Shanghai", "Sapporo"};
  for (const auto& p : c.people) {
    rng g = stream(opt.seed, name_hash("trips"), p.index);
    const double rate = (p.job == role::sales || p.job == role::executive) ? 0.45 : 0.04;
    for (int week = 0; week * 7 < opt.days; ++week) {
      if (!g.chance(rate)) continue;
      trip t{};
      t.person = p.index;
      t.depart_local_day = first_day + week * 7 + g.range(0, 3);
      t.return_local_day = t.depart_local_day + g.range(1, 3);
      const city& home = c.home_city_of(p);
      std::size_t dest = city_index(destinations[g.below(std::size(destinations))]);
      if (cities()[dest].name == home.name) dest = city_index("Sapporo");
      t.dest_city = dest;
      const city& d = cities()[dest];
      t.hotel_net = broadband_of(d.country);
      if (t.hotel_net == nullptr) continue;
      t.hotel_ip =
          address_in(*t.hotel_net, mix(opt.seed, mix(name_hash("hotel"), p.index * 64 + week)));
      const std::int64_t flight = flight_ns(home, d);
      const std::int64_t dep_local =
          t.depart_local_day * ns_per_day + g.range(13 * 12, 16 * 12) * 5 * ns_per_min;
      t.out_depart_ns = dep_local - utc_offset_minutes(home, dep_local) * ns_per_min;
      t.out_arrive_ns = t.out_depart_ns + flight;
      const std::int64_t back_local =
          t.return_local_day * ns_per_day + g.range(10 * 12, 13 * 12) * 5 * ns_per_min;
      t.back_depart_ns = back_local - utc_offset_minutes(d, back_local) * ns_per_min;
      t.back_arrive_ns = t.back_depart_ns + flight;
      if (t.back_depart_ns <= t.out_arrive_ns + 12 * ns_per_hour) continue;  // too short
      c.trips.push_back(t);
    }
  }

  auto ip = [](unsigned a, unsigned b, unsigned cc, unsigned d) {
    return (a << 24) | (b << 16) | (cc << 8) | d;
  };
  const network& aws = network_by_id("aws_tokyo");
  auto eip = [&](std::string_view what) { return address_in(aws, mix(opt.seed, name_hash(what))); };
  c.servers = {
      {"DC01", server_os::windows, "domain controller", ip(10, 10, 1, 10), 0, false},
      {"FS01", server_os::windows, "file server", ip(10, 10, 1, 20), 0, false},
      {"ORDER01", server_os::windows, "order management system", ip(10, 10, 1, 30), 0, false},
      {"RDS01", server_os::windows, "remote desktop gateway for suppliers", ip(10, 10, 1, 40), 0,
       false},
      {"PMS01", server_os::windows, "production management (vendor maintained)", ip(10, 30, 1, 15),
       0, false},
      {"bastion01", server_os::linux, "SSH bastion", ip(172, 31, 0, 10), eip("bastion01"), true},
      {"web01", server_os::linux, "reverse proxy and WAF", ip(172, 31, 10, 11), eip("web01"), true},
      {"web02", server_os::linux, "reverse proxy and WAF", ip(172, 31, 10, 12), eip("web02"), true},
      {"app01", server_os::linux, "application server", ip(172, 31, 20, 21), 0, true},
      {"batch01", server_os::linux, "batch and backups", ip(172, 31, 20, 31), 0, true},
      {"build01", server_os::linux, "CI runner", ip(172, 31, 30, 41), eip("build01"), true},
  };

  c.aws_accounts = {{"402175389216", "hoshino-prod"}, {"518934002671", "hoshino-dev"}};
  const std::uint32_t nat = eip("nat-gateway");
  auto add_principal = [&](aws_principal pr) { c.aws_principals.push_back(std::move(pr)); };
  for (std::size_t a = 0; a < c.aws_accounts.size(); ++a) {
    const std::string& acct = c.aws_accounts[a].id;
    add_principal({"root@" + c.aws_accounts[a].alias, "Root", "arn:aws:iam::" + acct + ":root",
                   acct, "", "", a, -1, 0, ""});
  }
  const std::string sso_role = "AWSReservedSSO_AdministratorAccess_7c1f2a9e3b5d4f60";
  for (const auto& p : c.people) {
    if (p.job != role::cloud_admin) continue;
    const std::string& acct = c.aws_accounts[0].id;
    rng g = stream(opt.seed, name_hash("aws-admin"), p.index);
    add_principal({p.upn, "AssumedRole",
                   "arn:aws:sts::" + acct + ":assumed-role/" + sso_role + "/" + p.upn,
                   "AROA" + alnum(g, 17, true) + ":" + p.upn, "ASIA" + alnum(g, 16, true), sso_role,
                   0, static_cast<int>(p.index), 0,
                   "aws-cli/2.15.30 Python/3.11.8 Windows/10 exe/AMD64 prompt/off"});
  }
  rng g = stream(opt.seed, name_hash("aws-principals"));
  const std::string& prod = c.aws_accounts[0].id;
  const std::string& dev = c.aws_accounts[1].id;
  add_principal({"svc-backup", "IAMUser", "arn:aws:iam::" + prod + ":user/svc-backup",
                 "AIDA" + alnum(g, 17, true), "AKIA" + alnum(g, 16, true), "", 0, -1, nat,
                 "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64"});
  add_principal({"svc-deploy", "IAMUser", "arn:aws:iam::" + dev + ":user/svc-deploy",
                 "AIDA" + alnum(g, 17, true), "AKIA" + alnum(g, 16, true), "", 1, -1,
                 c.servers[c.server_index("build01")].public_ip,
                 "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-18-cloud-amd64 exe/x86_64.debian.12"});
  add_principal({"web-waf-role", "AssumedRole",
                 "arn:aws:sts::" + prod + ":assumed-role/web-waf-role/i-0a3f1c9d27be4e815",
                 "AROA" + alnum(g, 17, true) + ":i-0a3f1c9d27be4e815", "ASIA" + alnum(g, 16, true),
                 "web-waf-role", 0, -1, c.servers[c.server_index("web01")].public_ip,
                 "aws-sdk-java/1.12.669 Linux/6.1.0-18-cloud-amd64 OpenJDK_64-Bit_Server_VM/"
                 "17.0.10+7-Debian-1deb12u1 java/17.0.10 vendor/Debian"});
  add_principal({"app-role", "AssumedRole",
                 "arn:aws:sts::" + prod + ":assumed-role/app-role/i-07c2e5b8a91d3f064",
                 "AROA" + alnum(g, 17, true) + ":i-07c2e5b8a91d3f064", "ASIA" + alnum(g, 16, true),
                 "app-role", 0, -1, nat,
                 "Boto3/1.34.61 md/Botocore#1.34.61 ua/2.0 os/linux#6.1.0-18-cloud-amd64 "
                 "md/arch#x86_64 lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy "
                 "Botocore/1.34.61"});

  add_principal({"ec2.amazonaws.com", "AWSService", "", "", "", "", 0, -1, 0, "ec2.amazonaws.com"});

  c.sites = {"Sales", "Engineering", "Production", "HR", "Finance", "Management", "IT"};
  constexpr std::string_view topics[] = {
      "quotation",        "customer-list", "drawing",       "bom",
      "contract",         "minutes",       "forecast",      "inspection-report",
      "price-list",       "spec",          "proposal",      "budget",
      "personnel-record", "payroll",       "supplier-list", "order-history",
      "design-review",    "audit"};
  constexpr std::string_view exts[] = {"xlsx", "docx", "pdf", "pptx", "dwg", "csv"};
  rng fg = stream(opt.seed, name_hash("files"));
  const std::size_t nfiles = std::clamp<std::size_t>(n * 6, 300, 40000);
  for (std::size_t i = 0; i < nfiles; ++i) {
    site_file f;
    f.site = static_cast<std::uint32_t>(fg.below(c.sites.size()));
    std::string_view topic = topics[fg.below(std::size(topics))];
    if (c.sites[f.site] == "HR" && fg.chance(0.6))
      topic = fg.chance(0.5) ? "payroll" : "personnel-record";
    f.name = std::string(topic) + "_";
    append_padded(f.name, 2023 + fg.below(3), 4);
    f.name += "Q";
    append_uint(f.name, 1 + fg.below(4));
    f.name += "_";
    append_padded(f.name, i, 5);
    f.name += ".";
    f.name += exts[fg.below(std::size(exts))];
    f.folder = "Shared Documents/" + c.sites[f.site];
    f.size = 20000 + static_cast<std::uint64_t>(std::exp(fg.normal(12.0, 1.2)));
    c.files.push_back(std::move(f));
  }
  c.box_folders = {"Customers", "Suppliers", "Drawings", "Quality", "Marketing"};
  return c;
}

day_plan plan_day(const company& c, const person& p, std::int64_t local_day) {
  day_plan plan;
  const city& home = c.home_city_of(p);
  const office& of = c.offices[p.office];
  rng r = stream(c.options.seed, name_hash("plan"), p.index, static_cast<std::uint64_t>(local_day));
  const civil_time date = to_civil(local_day * ns_per_day);
  auto utc = [&](const city& where, std::int64_t local_minutes) {
    const std::int64_t local = local_day * ns_per_day + local_minutes * ns_per_min;
    return local - utc_offset_minutes(where, local) * ns_per_min;
  };
  auto mobile_ip = [&](int k) {
    return address_in(
        *p.mobile_net,
        mix(c.options.seed, mix(p.index, static_cast<std::uint64_t>(local_day * 8 + k))));
  };
  auto add = [&](std::int64_t start, std::int64_t end, egress via, std::uint32_t ip,
                 std::size_t where, bool laptop, bool proxied) {
    if (end <= start || plan.n >= 4) return;
    plan.s[plan.n++] = session{start, end, via, ip, where, laptop, proxied};
  };

  for (const auto& t : c.trips) {
    if (t.person != p.index || local_day < t.depart_local_day || local_day > t.return_local_day)
      continue;
    const city& dest = cities()[t.dest_city];
    plan.workday = true;
    if (local_day == t.depart_local_day) {
      plan.first_of_trip = true;
      const std::int64_t start = utc(home, p.work_start_min);
      add(start, std::min(start + 4 * ns_per_hour, t.out_depart_ns - 2 * ns_per_hour),
          egress::office, of.egress_ip, of.city, true, true);
      const std::int64_t arrive = t.out_arrive_ns + 90 * ns_per_min;
      add(arrive, arrive + r.range(30, 90) * ns_per_min, egress::hotel, t.hotel_ip, t.dest_city,
          true, false);
    } else if (local_day == t.return_local_day) {
      const std::int64_t start = utc(dest, 8 * 60);
      add(start, t.back_depart_ns - 2 * ns_per_hour, egress::hotel, t.hotel_ip, t.dest_city, true,
          false);
    } else {
      const std::int64_t start = utc(dest, p.work_start_min);
      add(start, start + p.work_len_min * ns_per_min, egress::hotel, t.hotel_ip, t.dest_city, true,
          false);
    }
    (void)dest;
    return plan;
  }

  const bool weekend = date.weekday == 0 || date.weekday == 6;
  const bool holiday = is_public_holiday(home.country, date.month, date.day);
  const bool vacation = r.chance(0.03);
  if (weekend || holiday || vacation) {
    if (r.chance(0.15)) {
      const std::int64_t s = utc(home, r.range(10 * 12, 21 * 12) * 5);
      add(s, s + r.range(10, 40) * ns_per_min, egress::mobile, mobile_ip(0), p.home_city, false,
          false);
    }
    return plan;
  }
  plan.workday = true;
  const int start_min = p.work_start_min + static_cast<int>(r.normal(0, 15));
  const int len_min = p.work_len_min + static_cast<int>(r.normal(0, 30));
  const std::int64_t start = utc(home, start_min);
  const std::int64_t end = start + len_min * ns_per_min;
  if (r.chance(0.35)) {
    const std::int64_t s = start - r.range(25, 70) * ns_per_min;
    add(s, s + r.range(5, 20) * ns_per_min, egress::mobile, mobile_ip(1), p.home_city, false,
        false);
  }
  const bool remote = (p.remote_days >> date.weekday) & 1u;
  if (remote) {
    if (p.vpn_full_tunnel) {
      add(start, end, egress::home_vpn, of.egress_ip, p.home_city, true, true);
    } else {
      add(start, end, egress::home, p.home_ip, p.home_city, true, false);
    }
  } else {
    add(start, end, egress::office, of.egress_ip, of.city, true, true);
  }
  if (r.chance(0.25)) {
    const std::int64_t s = utc(home, r.range(20 * 12, 22 * 12) * 5);
    if (s > end) {
      add(s, s + r.range(5, 25) * ns_per_min, egress::home, p.home_ip, p.home_city, false, false);
    }
  }
  return plan;
}

}  // namespace mamori::sim
