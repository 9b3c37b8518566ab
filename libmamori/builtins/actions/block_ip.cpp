// Response action: block a source address. Mode "file" keeps a blocklist (one address per
// line, with a comment naming the case) that firewalls and proxies can load; mode "nft" adds
// the address to an nftables set (`nft add element FAMILY TABLE SET { ADDR }`), run without
// a shell. Loopback and unspecified addresses are refused (they would cut off the host).
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "mamori/output/json_text.hpp"
#include "mamori/respond/action.hpp"

extern char** environ;

namespace mamori::respond {

namespace {

bool self_harming(const std::string& ip) {
  in_addr a4{};
  in6_addr a6{};
  if (::inet_pton(AF_INET, ip.c_str(), &a4) == 1) {
    const std::uint32_t v = ntohl(a4.s_addr);
    return (v >> 24) == 127 || v == 0 || v == 0xffffffffu;
  }
  if (::inet_pton(AF_INET6, ip.c_str(), &a6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6);
  return true;
}

result<std::string> run_nft(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, "nft", nullptr, nullptr, argv.data(), environ);
  if (rc != 0) return fail(fmt::format("cannot run nft: {}", std::strerror(rc)));
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fail(fmt::format("nft exited with status {}", WEXITSTATUS(status)));
  return std::string("ok");
}

class block_ip final : public response_action {
 public:
  result<void> validate(const action_request& req) const override {
    const std::string ip = param(req, "ip", req.case_src_ip);
    if (ip.empty()) return fail("\"ip\" is required (the case has no source address)");
    if (!valid_ip(ip)) return fail(fmt::format("'{}' is not an IPv4 or IPv6 address", ip));
    if (self_harming(ip)) return fail(fmt::format("refusing to block {} (loopback or unspecified)", ip));
    return {};
  }

  action_result run(const action_request& req, action_env& env) override {
    const auto& c = env.config.block_ip;
    const std::string ip = param(req, "ip", req.case_src_ip);
    action_result out;
    std::string detail = "{\"ip\":";
    json_text::append_string(detail, ip);
    detail += ",\"mode\":";
    json_text::append_string(detail, c.mode);
    if (c.mode == "nft") {
      std::vector<std::string> args = {"nft", "add", "element", c.nft_family, c.nft_table, c.nft_set,
                                       "{ " + ip + " }"};
      std::string cmd;
      for (const auto& a : args) cmd += (cmd.empty() ? "" : " ") + a;
      detail += ",\"command\":";
      json_text::append_string(detail, cmd);
      if (req.dry_run) {
        out.ok = true;
        out.message = "would run: " + cmd;
      } else if (auto r = run_nft(args); !r) {
        out.message = r.error().message;
      } else {
        out.ok = true;
        out.message = fmt::format("{} added to nftables set {} {} {}", ip, c.nft_family, c.nft_table, c.nft_set);
      }
      out.detail_json = detail + "}";
      return out;
    }
    const std::string file = c.file.empty() ? env.config.data + "/blocklist.txt" : c.file;
    detail += ",\"file\":";
    json_text::append_string(detail, file);
    // Already listed?
    {
      std::ifstream in(file);
      for (std::string line; std::getline(in, line);) {
        if (line.substr(0, line.find_first_of(" \t#")) == ip) {
          out.ok = true;
          out.message = fmt::format("{} is already in {}", ip, file);
          out.detail_json = detail + ",\"changed\":false}";
          return out;
        }
      }
    }
    if (req.dry_run) {
      out.ok = true;
      out.message = fmt::format("would add {} to {}", ip, file);
      out.detail_json = detail + "}";
      return out;
    }
    // Append durably: O_APPEND write of one whole line, then fsync.
    const std::string line = fmt::format("{} # case {} by {}\n", ip, req.case_id, req.actor);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd) != 0) {
      out.message = fmt::format("{}: cannot write: {}", file, std::strerror(errno));
      if (fd >= 0) ::close(fd);
      out.detail_json = detail + "}";
      return out;
    }
    ::close(fd);
    out.ok = true;
    out.message = fmt::format("{} added to {}", ip, file);
    out.detail_json = detail + ",\"changed\":true}";
    return out;
  }
};

}  // namespace

action_spec block_ip_action() {
  return {"block_ip", "Block an address: add it to the blocklist file or the nftables set",
          server::role::tier2, [](const server::server_config&) { return true; },
          [] { return std::make_unique<block_ip>(); }};
}

}  // namespace mamori::respond
