// The offline gate's bundle as JSON: what GET /api/v1/gate/offline-bundle answers, what a gate
// keeps on its device, and what `juwei gate verify --bundle FILE` reads back.
#pragma once

#include <boost/json/object.hpp>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "service/exits.hpp"

namespace juwei::http {

boost::json::object offline_bundle_json(const domain::OfflineBundle& bundle);

// The bundle from its JSON text; what is wrong with it otherwise, naming the field.
std::expected<domain::OfflineBundle, std::string> offline_bundle_from_json(std::string_view text);

// A gate's queued check as one JSON object: the shape POST /api/v1/gate/sync takes in its
// `checks`, and one line of the queue file `juwei gate verify --queue` keeps.
boost::json::object queued_check_json(const service::QueuedGateCheck& check);

// A queue file: one check a line (blank lines skipped); what is wrong otherwise, naming the
// line and the field.
std::expected<std::vector<service::QueuedGateCheck>, std::string> queued_checks_from_lines(
    std::string_view text);

}  // namespace juwei::http
