#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

bool IsIdentStart(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool IsIdentChar(unsigned char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string FoldLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class Scanner {
 public:
  Scanner(std::string_view text, bool standard_conforming_strings)
      : s_(text), standard_strings_(standard_conforming_strings) {}

  std::vector<SqlToken> Run() {
    std::vector<SqlToken> tokens;
    while (pos_ < s_.size()) {
      unsigned char c = s_[pos_];
      if (IsSpace(c)) {
        ++pos_;
      } else if (c == '-' && Peek(1) == '-') {
        // The server's "newline" is [\n\r]: a lone \r ends the comment.
        while (pos_ < s_.size() && s_[pos_] != '\n' && s_[pos_] != '\r') ++pos_;
      } else if (c == '/' && Peek(1) == '*') {
        SkipBlockComment();
      } else if (c == '\'') {
        tokens.push_back(StringLiteral(pos_, pos_, !standard_strings_));
      } else if ((c == 'e' || c == 'E') && Peek(1) == '\'') {
        tokens.push_back(StringLiteral(pos_, pos_ + 1, true));
      } else if ((c == 'n' || c == 'N') && Peek(1) == '\'') {
        tokens.push_back(StringLiteral(pos_, pos_ + 1, !standard_strings_));
      } else if ((c == 'b' || c == 'B' || c == 'x' || c == 'X') && Peek(1) == '\'') {
        tokens.push_back(StringLiteral(pos_, pos_ + 1, false));
      } else if ((c == 'u' || c == 'U') && Peek(1) == '&' && Peek(2) == '\'') {
        tokens.push_back(StringLiteral(pos_, pos_ + 2, false));
      } else if ((c == 'u' || c == 'U') && Peek(1) == '&' && Peek(2) == '"') {
        size_t start = pos_;
        pos_ += 2;
        SqlToken t = QuotedIdent(start);
        tokens.push_back(std::move(t));
      } else if (c == '"') {
        tokens.push_back(QuotedIdent(pos_));
      } else if (c == '$' && IsDollarQuoteStart()) {
        tokens.push_back(DollarQuoted());
      } else if (c == '$' && IsDigit(Peek(1))) {
        size_t start = pos_++;
        while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
        tokens.push_back(Make(SqlToken::Kind::kParam, start, std::string(s_.substr(start, pos_ - start))));
      } else if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) {
        size_t start = pos_;
        // Never '$': "1$$;$$" is the number 1 then a dollar-quoted string.
        while (pos_ < s_.size() && s_[pos_] != '$' && (IsIdentChar(s_[pos_]) || s_[pos_] == '.' ||
                                    ((s_[pos_] == '+' || s_[pos_] == '-') &&
                                     (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E')))) {
          // Stop at ".." (not a number continuation).
          if (s_[pos_] == '.' && Peek(1) == '.') break;
          ++pos_;
        }
        tokens.push_back(Make(SqlToken::Kind::kNumber, start, std::string(s_.substr(start, pos_ - start))));
      } else if (IsIdentStart(c)) {
        size_t start = pos_;
        while (pos_ < s_.size() && IsIdentChar(s_[pos_])) ++pos_;
        tokens.push_back(Make(SqlToken::Kind::kWord, start, FoldLower(s_.substr(start, pos_ - start))));
      } else {
        size_t start = pos_++;
        tokens.push_back(Make(SqlToken::Kind::kPunct, start, std::string(1, static_cast<char>(c))));
      }
    }
    return tokens;
  }

 private:
  unsigned char Peek(size_t ahead) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }

  SqlToken Make(SqlToken::Kind kind, size_t start, std::string value) const {
    SqlToken t;
    t.kind = kind;
    t.value = std::move(value);
    t.offset = start;
    t.length = pos_ - start;
    return t;
  }

  void SkipBlockComment() {
    int depth = 0;
    while (pos_ < s_.size()) {
      if (s_[pos_] == '/' && Peek(1) == '*') {
        ++depth;
        pos_ += 2;
      } else if (s_[pos_] == '*' && Peek(1) == '/') {
        pos_ += 2;
        if (--depth == 0) return;
      } else {
        ++pos_;
      }
    }
  }

  // start: first char of the token (prefix included); quote: the opening '.
  SqlToken StringLiteral(size_t start, size_t quote, bool backslash_escapes) {
    pos_ = quote + 1;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (backslash_escapes && c == '\\') {
        pos_ += 2;
        continue;
      }
      if (c == '\'') {
        if (Peek(1) == '\'') {
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      ++pos_;
    }
    if (pos_ > s_.size()) pos_ = s_.size();
    return Make(SqlToken::Kind::kString, start, std::string(s_.substr(start, pos_ - start)));
  }

  SqlToken QuotedIdent(size_t start) {
    ++pos_;  // opening "
    std::string value;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '"') {
        if (Peek(1) == '"') {
          value += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      value += c;
      ++pos_;
    }
    return Make(SqlToken::Kind::kQuotedIdent, start, value);
  }

  // $tag$ where tag is empty or an identifier without '$'.
  bool IsDollarQuoteStart() const {
    size_t i = pos_ + 1;
    if (i < s_.size() && s_[i] == '$') return true;
    if (i >= s_.size() || !IsIdentStart(s_[i])) return false;
    while (i < s_.size() && IsIdentChar(s_[i]) && s_[i] != '$') ++i;
    return i < s_.size() && s_[i] == '$';
  }

  SqlToken DollarQuoted() {
    size_t start = pos_;
    size_t close = s_.find('$', pos_ + 1);
    std::string_view tag = s_.substr(pos_, close - pos_ + 1);
    size_t end = s_.find(tag, close + 1);
    pos_ = end == std::string_view::npos ? s_.size() : end + tag.size();
    return Make(SqlToken::Kind::kString, start, std::string(s_.substr(start, pos_ - start)));
  }

  std::string_view s_;
  bool standard_strings_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<SqlToken> TokenizeSql(std::string_view text, bool standard_conforming_strings) {
  return Scanner(text, standard_conforming_strings).Run();
}

std::vector<SqlStatement> SplitStatements(std::string_view text) {
  std::vector<SqlStatement> out;
  SqlStatement current;
  auto finish = [&](size_t end) {
    if (!current.tokens.empty()) {
      size_t begin = current.tokens.front().offset;
      current.text = std::string(text.substr(begin, end - begin));
      out.push_back(std::move(current));
    }
    current = SqlStatement();
  };
  for (auto& token : TokenizeSql(text)) {
    if (token.IsPunct(';')) {
      finish(token.offset + 1);
    } else {
      current.tokens.push_back(std::move(token));
    }
  }
  if (!current.tokens.empty()) {
    const SqlToken& last = current.tokens.back();
    finish(last.offset + last.length);
  }
  return out;
}

std::string QuoteIdent(const std::string& identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteQualified(const std::string& schema, const std::string& name) {
  return QuoteIdent(schema) + "." + QuoteIdent(name);
}

}  // namespace pgduplex
