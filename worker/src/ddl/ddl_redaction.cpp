#include "ddl/ddl_redaction.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

constexpr std::string_view kMask = "********";

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// An option or keyword whose value is a secret (PASSWORD, "password",
// sslpassword, passphrase, client_secret, ...).
bool NamesSecret(const SqlToken& t) {
  if (!t.IsIdentifier()) return false;
  std::string name = Lower(t.value);
  for (std::string_view word : {"password", "passwd", "passphrase", "secret"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

// [begin, end) of a string token's contents, between its opening quote (or
// dollar tag, after any E/B/X/N/U& prefix) and its closing one (if any).
void Body(std::string_view raw, size_t* begin, size_t* end) {
  if (!raw.empty() && raw[0] == '$') {
    size_t close = raw.find('$', 1);
    std::string_view tag = raw.substr(0, close + 1);
    *begin = tag.size();
    bool closed = raw.size() >= 2 * tag.size() && raw.substr(raw.size() - tag.size()) == tag;
    *end = closed ? raw.size() - tag.size() : raw.size();
    return;
  }
  size_t quote = raw.find('\'');
  *begin = quote == std::string_view::npos ? raw.size() : quote + 1;
  *end = raw.size() > *begin && raw.back() == '\'' ? raw.size() - 1 : raw.size();
}

using Range = std::pair<size_t, size_t>;  // [begin, end) to mask

// Adds, for free text starting at `base`, the ranges holding the value of
// password=... (also sslpassword=) and the password of
// scheme://user:password@host.
void ConninfoSecrets(std::string_view text, size_t base, std::vector<Range>* out) {
  std::string lower = Lower(text);
  // password=value: the value runs to the next space, or is quoted ('...',
  // or ''...'' inside an SQL literal).
  for (size_t at = lower.find("password"); at != std::string::npos; at = lower.find("password", at + 1)) {
    size_t k = at + 8;
    while (k < lower.size() && IsSpace(lower[k])) ++k;
    if (k >= lower.size() || lower[k] != '=') continue;
    ++k;
    while (k < lower.size() && IsSpace(lower[k])) ++k;
    size_t value = k;
    if (k < lower.size() && (lower[k] == '\'' || lower[k] == '"')) {
      char quote = lower[k];
      while (k < lower.size() && lower[k] == quote) ++k;
      value = k;
      while (k < lower.size() && lower[k] != quote) ++k;
    } else {
      while (k < lower.size() && !IsSpace(lower[k])) ++k;
    }
    if (k > value) out->push_back({base + value, base + k});
  }
  for (size_t at = lower.find("://"); at != std::string::npos; at = lower.find("://", at + 3)) {
    size_t k = at + 3, colon = std::string::npos;
    while (k < lower.size() && lower[k] != '@' && lower[k] != '/' && !IsSpace(lower[k]) && lower[k] != '\'') {
      if (lower[k] == ':' && colon == std::string::npos) colon = k;
      ++k;
    }
    if (k < lower.size() && lower[k] == '@' && colon != std::string::npos && k > colon + 1) {
      out->push_back({base + colon + 1, base + k});
    }
  }
}

// The ranges to mask when the statement is read with the given setting.
void Secrets(std::string_view statement, bool standard_conforming_strings, std::vector<Range>* out) {
  bool secret_follows = false;  // the previous token names a secret (or is its "=" or a literal of it)
  for (const SqlToken& t : TokenizeSql(statement, standard_conforming_strings)) {
    if (t.kind != SqlToken::Kind::kString) {
      secret_follows = NamesSecret(t) || (secret_follows && t.IsPunct('='));
      continue;
    }
    size_t begin = 0, end = 0;
    Body(statement.substr(t.offset, t.length), &begin, &end);
    if (secret_follows) {
      // 'a' 'b' on separate lines is one literal: keep masking.
      out->push_back({t.offset + begin, t.offset + end});
    } else {
      ConninfoSecrets(statement.substr(t.offset + begin, end - begin), t.offset + begin, out);
    }
  }
}

}  // namespace

std::string RedactDdlSecrets(std::string_view statement) {
  std::vector<Range> ranges;
  Secrets(statement, /*standard_conforming_strings=*/true, &ranges);
  Secrets(statement, /*standard_conforming_strings=*/false, &ranges);
  std::sort(ranges.begin(), ranges.end());
  std::string out;
  out.reserve(statement.size());
  size_t copied = 0;
  for (size_t i = 0; i < ranges.size();) {
    size_t begin = ranges[i].first, end = ranges[i].second;
    for (++i; i < ranges.size() && ranges[i].first <= end; ++i) end = std::max(end, ranges[i].second);
    if (begin < copied) begin = copied;  // cannot happen after merging; kept for safety
    out.append(statement.substr(copied, begin - copied));
    out += kMask;
    copied = end;
  }
  out.append(statement.substr(copied));
  return out;
}

}  // namespace pgduplex
