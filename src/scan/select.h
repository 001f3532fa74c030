// Which of a buffer's filtered findings are reported: the last step of a scan, after every
// per-finding filter (entropy, checksum, placeholders, allowlists) has run.
#pragma once

#include <vector>

#include "scan/finding.h"

namespace sg::scan {

// Keeps the findings of `found` that a person should see, in their original order:
//  1. a rule with `requires` keeps a finding only when its companion rule has a finding in the
//     same buffer within `within_lines` lines; this comes first, so a pair rule whose
//     companion is absent does not take a span from a rule that would have kept it;
//  2. findings of one span (the same bytes claimed by several rules) become one: the more
//     confident rule keeps it; at equal confidence a rule of a named provider beats a
//     format-only rule (FormatOnly); then a finding of what encoded text decodes to beats one
//     of the encoded text; then the rule whose keyword is part of the secret (a token
//     prefix); then the rule defined first.
std::vector<Finding> SelectFindings(std::vector<Finding> found);

// True for rules that recognise a value by a shape many issuers share and so name no issuer:
// generic assignments (`password = ...`, provider "generic"), JSON Web Tokens ("jwt") and
// PEM/OpenSSH private keys ("private-key"). A provider's rule that binds its name to such a
// value (a GCP service account's private_key, a kubeconfig's client key) is more specific.
bool FormatOnly(const rules::Rule& rule);

}  // namespace sg::scan
