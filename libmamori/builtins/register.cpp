// The list of builtin plugins. Adding a decoder: one file in builtins/decoders/ defining
// `decoder_spec NAME_spec()`, one X(NAME) line here, one line in libmamori/CMakeLists.txt.
// Order breaks sniffing ties: more specific formats first.

#include "mamori/decode/decoder.hpp"

#define MAMORI_BUILTIN_DECODERS(X) \
  X(cloudtrail)                    \
  X(syslog)                        \
  X(journald)                      \
  X(squid)                         \
  X(w3c)                           \
  X(zeek)                          \
  X(zeek_json)                     \
  X(proxifier)                     \
  X(evtx)                          \
  X(winjson)                       \
  X(okta)                          \
  X(box)                           \
  X(gws)                           \
  X(m365)                          \
  X(m365_csv)                      \
  X(entra)                         \
  X(m365defender)                  \
  X(panther_test)                  \
  X(posture)                       \
  X(csv)

namespace mamori {

namespace builtins {
#define MAMORI_DECLARE_DECODER(name) decoder_spec name##_spec();
MAMORI_BUILTIN_DECODERS(MAMORI_DECLARE_DECODER)
#undef MAMORI_DECLARE_DECODER
}  // namespace builtins

void register_builtin_decoders(decoder_registry& registry) {
#define MAMORI_REGISTER_DECODER(name) registry.add(builtins::name##_spec());
  MAMORI_BUILTIN_DECODERS(MAMORI_REGISTER_DECODER)
#undef MAMORI_REGISTER_DECODER
}

}  // namespace mamori
