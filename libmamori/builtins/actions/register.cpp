// The builtin response actions: one line each (docs/actions.md, "Adding an action").
#include "mamori/respond/action.hpp"

namespace mamori::respond {

action_spec webhook_action();
action_spec block_ip_action();
action_spec isolate_device_action();
action_spec revoke_sessions_action();
action_spec email_action();

std::vector<action_spec> builtin_actions() {
  return {
      webhook_action(),
      block_ip_action(),
      isolate_device_action(),
      revoke_sessions_action(),
      email_action(),
  };
}

}  // namespace mamori::respond
