#pragma once
// Zeek log semantics shared by the TSV (`zeek`) and JSON (`zeek_json`) decoders: which log a
// record belongs to, canonical field names, and the OCSF mapping per log (conn, dns, http, ssl,
// ssh, rdp, ntlm, kerberos; every other log stays a Base Event with its raw fields).
// Mapping table: docs/formats/zeek.md. Field reference: Zeek's base/protocols/*/main.zeek
// record definitions (Conn::Info, DNS::Info, HTTP::Info, SSL::Info, SSH::Info, RDP::Info,
// NTLM::Info, KRB::Info).

#include <string_view>

#include "mamori/decode/decoder.hpp"

namespace mamori::zeek {

// The log name a file name suggests ("conn.log", "NASHUA_conn.log", "dns.json.gz" → "conn",
// "conn", "dns"); empty when it names no known Zeek log. A hint only.
std::string_view path_from_filename(std::string_view path);

// Zeek's own name for a field some shippers rewrite with '_' for '.' ("id_orig_h" →
// "id.orig_h"); the name itself otherwise.
std::string_view canonical_name(std::string_view name);

// Sets class, activity, status and the normalized attributes of a record of log `path` from the
// raw fields already added to ev (under Zeek's names). `path` and the raw strings must live in
// the batch (ctx.store); derived strings (the HTTP URL) are stored through ctx.
void normalize(std::string_view path, event& ev, decode_context& ctx);

}  // namespace mamori::zeek
