#pragma once
// Normalization of Windows events to OCSF, shared by every Windows decoder (native .evtx, NXLog
// JSON, EVTX-to-JSON exports, Winlogbeat). The decoders first add the raw fields under the names
// Sigma, Hayabusa and Chainsaw use (EventID, Channel, Computer, Provider_Name, EventRecordID,
// TimeCreated, and every EventData/UserData value under its own name); this normalizer then
// reads those raw fields and sets time, class, activity, status, severity and the OCSF
// attributes. The mapping per channel and event ID is documented in docs/formats/windows.md.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/decode/decoder.hpp"

namespace mamori::windows {

// The raw field names the normalizer reads, in one list so ids are interned once.
#define MAMORI_WINDOWS_FIELDS(X)                                                                   \
  X(EventID)                                                                                       \
  X(Channel)                                                                                       \
  X(Computer)                                                                                      \
  X(Provider_Name) X(EventRecordID) X(TimeCreated) X(UtcTime) X(Level) X(Keywords) X(Message)      \
      X(TargetUserName) X(TargetDomainName) X(TargetUserSid) X(TargetSid) X(SubjectUserName)       \
          X(SubjectDomainName) X(SubjectUserSid) X(IpAddress) X(IpPort) X(WorkstationName)         \
              X(Workstation) X(LogonType) X(Status) X(SubStatus) X(FailureReason)                  \
                  X(AuthenticationPackageName) X(PackageName) X(TargetLogonId) X(ServiceName)      \
                      X(TargetServerName) X(NewProcessName) X(NewProcessId) X(ProcessId)           \
                          X(ProcessName) X(ParentProcessName) X(CommandLine) X(Image)              \
                              X(ParentImage) X(ParentProcessId) X(ParentCommandLine)               \
                                  X(ParentProcessGuid) X(User) X(Hashes) X(ProcessGuid)            \
                                      X(SourceIp) X(SourcePort) X(SourceHostname) X(DestinationIp) \
                                          X(DestinationPort) X(DestinationHostname) X(Protocol)    \
                                              X(TargetFilename) X(QueryName) X(QueryStatus)        \
                                                  X(MemberName) X(MemberSid)

class normalizer {
 public:
  normalizer();

  // Sets the normalized part of ev from its raw fields. Keeps ev.time_ns when already set (the
  // EVTX reader converts the FILETIME directly).
  void apply(event& ev, decode_context& ctx) const;

  enum class slot : std::uint8_t {
#define MAMORI_WINDOWS_SLOT(name) name,
    MAMORI_WINDOWS_FIELDS(MAMORI_WINDOWS_SLOT)
#undef MAMORI_WINDOWS_SLOT
        count_
  };

 private:
  const std::vector<std::int8_t>* slot_of_;  // field id → slot, -1 when not read (shared)
};

// Field ids by name, cached by content in a small direct-mapped table shared by the Windows
// decoders of one thread (ids are global and stable): the same few dozen names (EventID,
// CommandLine, ...) repeat in every record and every file, and a lookup here is several times
// cheaper than a hash map, let alone the registry.
class name_ids {
 public:
  static name_ids& local();
  field_id get(std::string_view name) {
    std::uint32_t h = static_cast<std::uint32_t>(name.size());
    for (char c : name) h = h * 31 + static_cast<unsigned char>(c);
    entry& e = slots_[h & (slots_.size() - 1)];
    if (e.id != invalid_field && e.name == name) return e.id;
    e.name.assign(name);
    e.id = intern_field(name);
    return e.id;
  }

 private:
  struct entry {
    std::string name;
    field_id id = invalid_field;
  };
  std::array<entry, 1024> slots_;
};

// Splits "DOMAIN\user" into its parts (domain empty when there is no backslash).
std::pair<std::string_view, std::string_view> split_account(std::string_view s);
// The file name of a Windows or POSIX path: "C:\Windows\cmd.exe" → "cmd.exe".
std::string_view base_name(std::string_view path);
// Values of Windows events lose trailing whitespace (space, tab, CR, LF), as evtx_dump, Hayabusa
// and Chainsaw present them and as Sigma's regression tests expect ("chcp  " must match
// CommandLine|endswith 'chcp'). Every Windows decoder applies it, so a rule sees one value.
inline std::string_view trim_trailing_space(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}
// Integers as Windows writes them: "4624", "0x1a2c" (hex), also with surrounding spaces.
std::optional<std::int64_t> parse_windows_integer(std::string_view s);

}  // namespace mamori::windows
