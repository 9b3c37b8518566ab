#pragma once
// Interpretation of Linux authentication messages (sshd, PAM, sudo, su, login, systemd-logind
// and a few legacy daemons) into OCSF Authentication (3002) and Authorize Session (3003)
// events. Shared by every source that carries syslog messages: the syslog decoder, journald
// JSON, and later the syslog listener. The message grammar and the mapping table are in
// docs/formats/linux-auth.md.

#include <string_view>

#include "mamori/decode/decoder.hpp"

namespace mamori::linux_auth {

// `app` is the program as the log names it: a syslog tag or SYSLOG_IDENTIFIER without the
// pid ("sshd", "sudo", "su", "CRON", "sshd(pam_unix)"); `message` is the text after
// "tag[pid]: ". Both views must live as long as the event (stored in the batch).
// When the message is an authentication message, sets class_uid, activity_id, status,
// status_detail, actor/user names, src_endpoint, auth_protocol and dst_endpoint.svc_name, adds
// the raw field `repeat_count` for "message repeated N times" and PAM/sudo failure counts, and
// returns true. Otherwise leaves the event untouched and returns false.
bool interpret(std::string_view app, std::string_view message, event& ev, decode_context& ctx);

}  // namespace mamori::linux_auth
