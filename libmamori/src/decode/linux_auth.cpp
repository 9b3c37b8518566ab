// Linux authentication messages → OCSF Authentication / Authorize Session.
// Message formats: OpenSSH auth.c/auth2.c/sshd.c/packet.c log calls (OpenSSH 6.x–9.x), Linux-PAM
// pam_unix (support.c, pam_unix_sess.c, pam_unix_auth.c), sudo's logging (sudoers plugin
// "user : TTY=... ; PWD=... ; USER=... ; COMMAND=..."), shadow-utils/util-linux su and login,
// systemd-logind. The mapping table is docs/formats/linux-auth.md.

#include "mamori/decode/linux_auth.hpp"

#include "mamori/decode/text_scan.hpp"

namespace mamori::linux_auth {

namespace {

using ocsf::attr;
using text::consume;
using text::consume_back;

constexpr std::uint8_t activity_logon = ocsf::activity::logon;
constexpr std::uint8_t activity_logoff = ocsf::activity::logoff;
constexpr std::uint8_t activity_other = ocsf::activity::other;
// Authorize Session (3003): 1 = Assign Privileges.
constexpr std::uint8_t activity_assign_privileges = 1;

field_id repeat_count_field() {
  static const field_id id = intern_field("repeat_count");
  return id;
}

void set_str(event& ev, attr a, std::string_view s) {
  if (!s.empty()) ev.set(a, value::string(s));
}

void set_remote(event& ev, std::string_view host) {
  if (host.empty()) return;
  ev.set(text::is_ip(host) ? attr::src_ip : attr::src_hostname, value::string(host));
}

void set_port(event& ev, std::string_view digits) {
  if (auto p = text::to_int(digits)) ev.set(attr::src_port, value::integer(*p));
}

void outcome(event& ev, ocsf::event_class cls, std::uint8_t activity, ocsf::status_id status,
             std::string_view svc, std::string_view detail) {
  ev.class_uid = cls;
  ev.activity_id = activity;
  ev.status = status;
  set_str(ev, attr::dst_svc_name, svc);
  set_str(ev, attr::status_detail, detail);
}

void auth(event& ev, std::uint8_t activity, ocsf::status_id status, std::string_view svc,
          std::string_view detail = {}) {
  outcome(ev, ocsf::event_class::authentication, activity, status, svc, detail);
}

constexpr auto success = ocsf::status_id::success;
constexpr auto failure = ocsf::status_id::failure;

// "HOST port N..." or "HOST: ..." or "HOST": the remote end as sshd prints it.
void parse_endpoint(std::string_view s, event& ev) {
  std::string_view host = text::take_until(s, ' ');
  consume_back(host, ":");
  set_remote(ev, host);
  if (consume(s, "port ")) {
    std::size_t n = 0;
    while (n < s.size() && text::is_digit(s[n])) ++n;
    set_port(ev, s.substr(0, n));
  }
}

// "USER HOST port N[: ...]" read from the end, so a user name may contain spaces.
void parse_user_endpoint(std::string_view s, event& ev) {
  const std::size_t port = s.rfind(" port ");
  std::string_view who = port == std::string_view::npos ? s : s.substr(0, port);
  const std::size_t sp = who.rfind(' ');
  if (sp == std::string_view::npos) {
    parse_endpoint(s, ev);
    return;
  }
  set_str(ev, attr::actor_user_name, who.substr(0, sp));
  parse_endpoint(s.substr(sp + 1), ev);
}

// "[invalid user |illegal user ]USER from HOST[ port N ...]"; returns whether the user was
// flagged invalid.
bool parse_user_from(std::string_view s, event& ev) {
  const bool invalid = consume(s, "invalid user ") || consume(s, "illegal user ");
  const std::size_t from = s.rfind(" from ");
  if (from == std::string_view::npos) {
    set_str(ev, attr::actor_user_name, s);
    return invalid;
  }
  set_str(ev, attr::actor_user_name, s.substr(0, from));
  parse_endpoint(s.substr(from + 6), ev);
  return invalid;
}

// The key=value list pam_unix writes: "logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4
// user=root".
struct pam_fields {
  std::string_view logname, ruser, rhost, user, tty;
};

pam_fields parse_pam_fields(std::string_view s) {
  pam_fields out;
  while (!s.empty()) {
    s = text::trim(s);
    std::string_view item = text::take_until(s, ' ');
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = item.substr(0, eq);
    std::string_view val = item.substr(eq + 1);
    if (key == "logname")
      out.logname = val;
    else if (key == "ruser")
      out.ruser = val;
    else if (key == "rhost")
      out.rhost = val;
    else if (key == "user")
      out.user = val;
    else if (key == "tty")
      out.tty = val;
  }
  return out;
}

bool switches_user(std::string_view svc) {
  return svc == "su" || svc == "sudo" || svc == "su-l";
}

// "root(uid=0)" → "root".
std::string_view strip_uid(std::string_view user) {
  const std::size_t p = user.find('(');
  return p == std::string_view::npos ? user : user.substr(0, p);
}

// The body of a pam_unix message for service `svc`.
bool pam(std::string_view svc, std::string_view msg, event& ev) {
  if (consume(msg, "authentication failure; ")) {
    const pam_fields f = parse_pam_fields(msg);
    if (switches_user(svc)) {
      set_str(ev, attr::actor_user_name, f.ruser.empty() ? f.logname : f.ruser);
      set_str(ev, attr::user_name, f.user);
    } else {
      set_str(ev, attr::actor_user_name, f.user);
    }
    set_remote(ev, f.rhost);
    auth(ev, activity_logon, failure, svc, "authentication failure");
    return true;
  }
  if (consume(msg, "session opened for user ")) {
    const std::size_t by = msg.rfind(" by ");
    std::string_view target = strip_uid(msg.substr(0, by));
    std::string_view by_user =
        by == std::string_view::npos ? std::string_view() : strip_uid(msg.substr(by + 4));
    if (!by_user.empty() && by_user != "LOGIN" && by_user != target) {
      set_str(ev, attr::actor_user_name, by_user);
      set_str(ev, attr::user_name, target);
    } else {
      set_str(ev, attr::actor_user_name, target);
    }
    auth(ev, activity_logon, success, svc);
    return true;
  }
  if (consume(msg, "session closed for user ")) {
    set_str(ev, attr::actor_user_name, strip_uid(text::trim(msg)));
    auth(ev, activity_logoff, success, svc);
    return true;
  }
  return false;
}

// "pam_unix(sshd:auth): rest" → svc "sshd", rest. Any pam_* module.
bool split_pam_prefix(std::string_view msg, std::string_view& svc, std::string_view& rest) {
  if (!msg.starts_with("pam_")) return false;
  const std::size_t open = msg.find('(');
  const std::size_t close = msg.find("): ");
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return false;
  }
  std::string_view inner = msg.substr(open + 1, close - open - 1);
  svc = inner.substr(0, inner.find(':'));
  rest = msg.substr(close + 3);
  return !svc.empty();
}

bool sshd(std::string_view msg, event& ev) {
  const bool preauth = consume_back(msg, " [preauth]");
  consume(msg, "error: ");
  constexpr std::string_view svc = "sshd";
  bool accepted = false;
  if ((accepted = consume(msg, "Accepted ")) || consume(msg, "Failed ")) {
    std::string_view method = text::take_until(msg, ' ');
    if (!consume(msg, "for ")) return false;
    const bool invalid = parse_user_from(msg, ev);
    set_str(ev, attr::auth_protocol, method);
    if (accepted) {
      auth(ev, activity_logon, success, svc);
    } else {
      auth(ev, activity_logon, failure, svc,
           invalid                ? "invalid user"
           : method == "password" ? "wrong password"
                                  : "authentication failed");
    }
    return true;
  }
  if (consume(msg, "Invalid user ") || consume(msg, "Illegal user ")) {
    const std::size_t from = msg.rfind(" from ");
    if (from == std::string_view::npos) return false;
    set_str(ev, attr::actor_user_name, msg.substr(0, from));
    parse_endpoint(msg.substr(from + 6), ev);
    auth(ev, activity_logon, failure, svc, "invalid user");
    return true;
  }
  if (consume(msg, "maximum authentication attempts exceeded for ")) {
    parse_user_from(msg, ev);
    auth(ev, activity_logon, failure, svc, "max auth attempts");
    return true;
  }
  if (consume(msg, "Disconnecting")) {
    const std::size_t too_many = msg.find("Too many authentication failures");
    if (too_many == std::string_view::npos) return false;
    if (consume(msg, ": Too many authentication failures")) {
      // Old form: "Disconnecting: Too many authentication failures for [invalid user ]USER".
      if (consume(msg, " for ")) {
        consume(msg, "invalid user ");
        set_str(ev, attr::actor_user_name, msg);
      }
    } else if (consume(msg, " authenticating user ") || consume(msg, " invalid user ")) {
      // New form: "Disconnecting invalid user USER HOST port N: Too many ...".
      parse_user_endpoint(msg.substr(0, msg.rfind(": Too many")), ev);
    }
    auth(ev, activity_logon, failure, svc, "max auth attempts");
    return true;
  }
  if (consume(msg, "PAM: Authentication failure for ")) {
    parse_user_from(msg, ev);
    auth(ev, activity_logon, failure, svc, "authentication failure");
    return true;
  }
  if (consume(msg, "User ")) {
    // "User root from 1.2.3.4 not allowed because not listed in AllowUsers"
    const std::size_t because = msg.find(" not allowed because ");
    if (because == std::string_view::npos) return false;
    parse_user_from(msg.substr(0, because), ev);
    auth(ev, activity_logon, failure, svc, "user not allowed");
    return true;
  }
  // Disconnections: before authentication completed (preauth) they end an attempt; after, a
  // session.
  bool disconnect = false;
  if (consume(msg, "Connection closed by ") || consume(msg, "Connection reset by ")) {
    if (consume(msg, "authenticating user ") || consume(msg, "invalid user ") ||
        consume(msg, "user ")) {
      parse_user_endpoint(msg, ev);
    } else {
      parse_endpoint(msg, ev);
    }
    disconnect = true;
  } else if (consume(msg, "Received disconnect from ")) {
    parse_endpoint(msg, ev);
    disconnect = true;
  } else if (consume(msg, "Disconnected from ")) {
    if (consume(msg, "authenticating user ") || consume(msg, "invalid user ") ||
        consume(msg, "user ")) {
      parse_user_endpoint(msg, ev);
    } else {
      parse_endpoint(msg, ev);
    }
    disconnect = true;
  }
  if (disconnect) {
    if (preauth) {
      auth(ev, activity_other, failure, svc, "preauth disconnect");
    } else {
      auth(ev, activity_logoff, success, svc);
    }
    return true;
  }
  if (consume(msg, "PAM ")) {
    // "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=..."
    std::string_view count = text::take_until(msg, ' ');
    if (!consume(msg, "more authentication failure")) return false;
    const auto n = text::to_int(count);
    if (!n) return false;
    consume(msg, "s");
    consume(msg, ";");
    const pam_fields f = parse_pam_fields(msg);
    set_str(ev, attr::actor_user_name, f.user);
    set_remote(ev, f.rhost);
    ev.add_raw(repeat_count_field(), value::integer(*n));
    auth(ev, activity_logon, failure, svc, "more authentication failures");
    return true;
  }
  return false;
}

// sudoers log line: "bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id" with an
// optional problem before TTY ("3 incorrect password attempts", "user NOT in sudoers").
bool sudo(std::string_view msg, event& ev) {
  msg = text::trim(msg);
  const std::size_t colon = msg.find(" : ");
  if (colon == std::string_view::npos) return false;
  std::string_view user = text::trim(msg.substr(0, colon));
  std::string_view rest = msg.substr(colon + 3);
  std::string_view note, target, command, tty;
  bool saw_key = false;
  while (!rest.empty()) {
    rest = text::trim(rest);
    if (consume(rest, "COMMAND=")) {
      command = rest;  // the command line may contain " ; ": it is always last
      saw_key = true;
      break;
    }
    const std::size_t sep = rest.find(" ; ");
    std::string_view item = rest.substr(0, sep);
    rest.remove_prefix(sep == std::string_view::npos ? rest.size() : sep + 3);
    if (consume(item, "USER=")) {
      target = item;
      saw_key = true;
    } else if (consume(item, "TTY=")) {
      tty = item;
      saw_key = true;
    } else if (item.starts_with("PWD=") || item.starts_with("GROUP=") || item.starts_with("ENV=") ||
               item.starts_with("TSID=")) {
      saw_key = true;
    } else if (note.empty()) {
      note = item;
    }
  }
  if (!saw_key) return false;
  set_str(ev, attr::actor_user_name, user);
  set_str(ev, attr::user_name, target);
  set_str(ev, attr::process_cmd_line, command);
  (void)tty;
  if (note.empty()) {
    outcome(ev, ocsf::event_class::authorize_session, activity_assign_privileges, success, "sudo",
            {});
    return true;
  }
  std::string_view count = note;
  std::string_view n = text::take_until(count, ' ');
  if (text::all_digits(n) && count.starts_with("incorrect password attempt")) {
    ev.add_raw(repeat_count_field(), value::integer(*text::to_int(n)));
    auth(ev, activity_logon, failure, "sudo", "incorrect password attempts");
    return true;
  }
  outcome(ev, ocsf::event_class::authorize_session, activity_assign_privileges, failure, "sudo",
          note);
  return true;
}

bool su(std::string_view msg, event& ev) {
  bool failed = consume(msg, "FAILED SU ");
  if (consume(msg, "(to ")) {
    // "(to root) bob on pts/0"
    set_str(ev, attr::user_name, text::take_until(msg, ')'));
    msg = text::trim(msg);
    const std::size_t on = msg.rfind(" on ");
    set_str(ev, attr::actor_user_name, msg.substr(0, on));
    auth(ev, activity_logon, failed ? failure : success, "su");
    return true;
  }
  failed = consume(msg, "FAILED su for ");
  if (failed || consume(msg, "Successful su for ")) {
    // "Successful su for root by bob"
    const std::size_t by = msg.rfind(" by ");
    if (by == std::string_view::npos) return false;
    set_str(ev, attr::user_name, msg.substr(0, by));
    set_str(ev, attr::actor_user_name, msg.substr(by + 4));
    auth(ev, activity_logon, failed ? failure : success, "su");
    return true;
  }
  if ((msg.starts_with("+ ") || msg.starts_with("- ")) && msg.find(':') != msg.npos) {
    // shadow-utils: "+ pts/0 bob:root" (success) / "- pts/0 bob:root" (failure)
    failed = msg.front() == '-';
    msg.remove_prefix(2);
    text::take_until(msg, ' ');
    std::string_view from = text::take_until(msg, ':');
    set_str(ev, attr::actor_user_name, from);
    set_str(ev, attr::user_name, msg);
    auth(ev, activity_logon, failed ? failure : success, "su");
    return true;
  }
  return false;
}

// util-linux / shadow login, recognised by text since the tag varies.
bool login(std::string_view msg, event& ev) {
  if (consume(msg, "ROOT LOGIN ON ")) {
    set_str(ev, attr::actor_user_name, "root");
    const std::size_t from = msg.find(" FROM ");
    if (from != std::string_view::npos) set_remote(ev, text::trim(msg.substr(from + 6)));
    auth(ev, activity_logon, success, "login");
    return true;
  }
  if (consume(msg, "LOGIN ON ")) {
    // "LOGIN ON tty1 BY bob[ FROM host]"
    const std::size_t by = msg.find(" BY ");
    if (by == std::string_view::npos) return false;
    std::string_view rest = msg.substr(by + 4);
    const std::size_t from = rest.find(" FROM ");
    set_str(ev, attr::actor_user_name, rest.substr(0, from));
    if (from != std::string_view::npos) set_remote(ev, text::trim(rest.substr(from + 6)));
    auth(ev, activity_logon, success, "login");
    return true;
  }
  if (consume(msg, "FAILED LOGIN ")) {
    // "FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure" or
    // "FAILED LOGIN (1) on '/dev/tty1' FOR 'UNKNOWN', User not known to ..."
    const std::size_t for_pos = msg.find(" FOR ");
    if (for_pos != std::string_view::npos) {
      std::string_view who = msg.substr(for_pos + 5);
      const std::size_t comma = who.find(',');
      std::string_view detail =
          comma == std::string_view::npos ? std::string_view() : text::trim(who.substr(comma + 1));
      who = who.substr(0, comma);
      consume(who, "'");
      consume_back(who, "'");
      set_str(ev, attr::actor_user_name, who);
      set_str(ev, attr::status_detail, detail);
    }
    auth(ev, activity_logon, failure, "login");
    return true;
  }
  return false;
}

bool logind(std::string_view msg, event& ev) {
  if (consume(msg, "New session ")) {
    // "New session 3 of user bob."
    std::string_view id = text::take_until(msg, ' ');
    if (!consume(msg, "of user ")) return false;
    consume_back(msg, ".");
    set_str(ev, attr::actor_user_name, msg);
    set_str(ev, attr::session_uid, id);
    auth(ev, activity_logon, success, "systemd-logind");
    return true;
  }
  if (consume(msg, "Removed session ")) {
    consume_back(msg, ".");
    set_str(ev, attr::session_uid, msg);
    auth(ev, activity_logoff, success, "systemd-logind");
    return true;
  }
  return false;
}

// Legacy daemons in the loghub Linux sample (wu-ftpd, Kerberos klogind, gdm).
bool legacy(std::string_view app, std::string_view msg, event& ev) {
  if (app == "ftpd") {
    if (consume(msg, "ANONYMOUS FTP LOGIN FROM ")) {
      set_remote(ev, text::take_until(msg, ','));
      set_str(ev, attr::actor_user_name, "anonymous");
      auth(ev, activity_logon, success, "ftpd");
      return true;
    }
    const bool failed = consume(msg, "FTP LOGIN FAILED FROM ");
    if (failed || consume(msg, "FTP LOGIN FROM ")) {
      // "FTP LOGIN FROM host [1.2.3.4], bob"
      std::string_view host = text::take_until(msg, ',');
      if (const std::size_t lb = host.find(" ["); lb != std::string_view::npos) {
        std::string_view ip = host.substr(lb + 2);
        consume_back(ip, "]");
        host = ip;
      }
      set_remote(ev, host);
      set_str(ev, attr::actor_user_name, text::trim(msg));
      auth(ev, activity_logon, failed ? failure : success, "ftpd");
      return true;
    }
    return false;
  }
  if (app == "klogind") {
    if (consume(msg, "Authentication failed from ")) {
      // "Authentication failed from 1.2.3.4 (host): reason"
      set_remote(ev, text::take_until(msg, ' '));
      const std::size_t colon = msg.find("): ");
      auth(ev, activity_logon, failure, "klogind",
           colon == std::string_view::npos ? std::string_view("authentication failed")
                                           : text::trim(msg.substr(colon + 3)));
      return true;
    }
    if (text::trim(msg) == "Kerberos authentication failed") {
      auth(ev, activity_logon, failure, "klogind", "Kerberos authentication failed");
      return true;
    }
    return false;
  }
  if (app == "gdm-binary" || app == "gdm") {
    if (text::trim(msg) == "Couldn't authenticate user") {
      auth(ev, activity_logon, failure, "gdm", "authentication failure");
      return true;
    }
  }
  return false;
}

bool equals_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    char x = a[k], y = b[k];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The service name PAM and the mapping use: "sshd(pam_unix)" → "sshd", "CRON" → "cron".
std::string_view service_of(std::string_view app) {
  if (const std::size_t p = app.find("(pam_"); p != std::string_view::npos) app = app.substr(0, p);
  if (equals_ci(app, "cron") || equals_ci(app, "crond")) return "cron";
  if (app == "gdm-binary") return "gdm";
  return app;
}

}  // namespace

bool interpret(std::string_view app, std::string_view message, event& ev, decode_context& ctx) {
  (void)ctx;
  // "message repeated 5 times: [ Failed password for root from ... ssh2]" (rsyslog's
  // repeated-message reduction): the inner message, counted.
  if (message.starts_with("message repeated ")) {
    std::string_view rest = message.substr(17);
    std::string_view n = text::take_until(rest, ' ');
    if (text::all_digits(n) && consume(rest, "times: [")) {
      consume_back(rest, "]");
      ev.add_raw(repeat_count_field(), value::integer(*text::to_int(n)));
      return interpret(app, text::trim(rest), ev, ctx);
    }
  }
  const std::string_view svc = service_of(app);
  std::string_view pam_svc, pam_rest;
  if (split_pam_prefix(message, pam_svc, pam_rest)) return pam(pam_svc, pam_rest, ev);
  if (app.find("(pam_") != std::string_view::npos) return pam(svc, message, ev);
  if (svc == "sshd") return sshd(message, ev);
  if (svc == "sudo") return sudo(message, ev);
  if (svc == "su") return su(message, ev);
  if (svc == "systemd-logind") return logind(message, ev);
  if (login(message, ev)) return true;
  return legacy(svc, message, ev);
}

}  // namespace mamori::linux_auth
