// Partner notifications (README.md, "Partner notifications"): sends the tokens waiting in a
// store's partner outbox to their providers' endpoints in signed POSTs, and deletes each token
// once its provider accepted it. One flock, one retry state and one backoff per provider.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "notify/config.h"
#include "notify/notifier.h"

namespace sg::notify {

// "partner-<provider>": the name of a provider's lock, retry state and log lines.
std::string PartnerSinkName(std::string_view provider);

// Delivers what is due in the partner outbox of `store_dir`; appends one outcome per provider
// that had tokens waiting. Tokens of providers the config file no longer names an endpoint for
// are deleted undelivered (the admin withdrew the opt-in).
void DeliverPartners(const NotifyConfig& config, const std::string& store_dir,
                     const std::string& store_id, const RunOptions& options,
                     std::vector<SinkOutcome>& out);

}  // namespace sg::notify
