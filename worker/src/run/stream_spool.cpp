#include "run/stream_spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/errors.h"
#include "run/private_directory.h"

namespace pgduplex {

namespace {

constexpr size_t kBufferSize = 1 << 20;
constexpr size_t kHeaderSize = sizeof(uint32_t) + sizeof(uint64_t);
constexpr const char* kSuffix = ".spool";

std::string Errno() { return strerror(errno); }

}  // namespace

StreamSpool::StreamSpool(std::string directory) : directory_(std::move(directory)) {
  EnsurePrivateDirectory(directory_);
  RemoveAllFiles();
}

StreamSpool::~StreamSpool() {
  for (auto& [xid, file] : files_) {
    if (file.stream != nullptr) std::fclose(file.stream);
    unlink(PathOf(xid).c_str());
  }
}

void StreamSpool::RemoveAllFiles() {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, error)) {
    if (entry.path().extension() == kSuffix) std::filesystem::remove(entry.path(), error);
  }
}

std::string StreamSpool::PathOf(uint32_t xid) const { return fmt::format("{}/{}{}", directory_, xid, kSuffix); }

uint64_t StreamSpool::spooled_bytes(uint32_t xid) const {
  auto it = files_.find(xid);
  return it == files_.end() ? 0 : it->second.size;
}

StreamSpool::File& StreamSpool::Open(uint32_t xid) {
  std::string path = PathOf(xid);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw SpoolError(fmt::format("cannot create spool file {}: {}", path, Errno()));
  std::FILE* stream = fdopen(fd, "w+b");
  if (stream == nullptr) {
    close(fd);
    throw SpoolError(fmt::format("cannot open spool file {}: {}", path, Errno()));
  }
  setvbuf(stream, nullptr, _IOFBF, kBufferSize);
  File& file = files_[xid];
  file.stream = stream;
  return file;
}

void StreamSpool::Remove(uint32_t xid) {
  auto it = files_.find(xid);
  if (it == files_.end()) return;
  if (it->second.stream != nullptr) std::fclose(it->second.stream);
  files_.erase(it);
  unlink(PathOf(xid).c_str());
}

void StreamSpool::StartBlock(uint32_t xid, bool first_segment) {
  if (InBlock()) {
    throw DecodeError(fmt::format("stream block of transaction {} starts inside the block of {}", xid, block_xid_));
  }
  if (xid == 0) throw DecodeError("stream block without a transaction id");
  if (first_segment) {
    Remove(xid);
    Open(xid);
  } else if (files_.count(xid) == 0) {
    throw DecodeError(fmt::format("stream block of transaction {} continues a transaction whose start never arrived",
                                  xid));
  }
  block_xid_ = xid;
}

void StreamSpool::StartDirectBlock(uint32_t xid) {
  if (InBlock()) {
    throw DecodeError(fmt::format("stream block of transaction {} starts inside the block of {}", xid, block_xid_));
  }
  if (xid == 0) throw DecodeError("stream block without a transaction id");
  block_xid_ = xid;
}

void StreamSpool::EndBlock() {
  if (!InBlock()) throw DecodeError("stream stop outside a stream block");
  block_xid_ = 0;
}

void StreamSpool::Write(File& file, uint32_t xid, const void* data, size_t size) {
  if (size > 0 && std::fwrite(data, 1, size, file.stream) != size) {
    throw SpoolError(fmt::format("cannot write spool file {}: {}", PathOf(xid), Errno()));
  }
  file.size += size;
}

void StreamSpool::Append(uint32_t stream_xid, Lsn lsn, const char* data, size_t size) {
  if (!InBlock()) throw DecodeError("a streamed record outside a stream block");
  if (stream_xid == 0) {
    throw DecodeError(fmt::format("record at LSN {} inside the stream block of transaction {} has no stream_xid",
                                  LsnToString(lsn), block_xid_));
  }
  if (size > UINT32_MAX) throw DecodeError(fmt::format("record at LSN {} is too large", LsnToString(lsn)));
  File& file = files_.at(block_xid_);
  if (stream_xid != block_xid_) {
    bool known = false;
    for (auto it = file.subxacts.rbegin(); it != file.subxacts.rend() && !known; ++it) known = it->xid == stream_xid;
    if (!known) file.subxacts.push_back({stream_xid, file.size});
  }
  uint32_t size32 = static_cast<uint32_t>(size);
  uint64_t lsn64 = lsn;
  Write(file, block_xid_, &size32, sizeof size32);
  Write(file, block_xid_, &lsn64, sizeof lsn64);
  Write(file, block_xid_, data, size);
}

void StreamSpool::Abort(uint32_t xid, uint32_t subxid) {
  if (InBlock()) throw DecodeError(fmt::format("stream abort of transaction {} inside a stream block", xid));
  auto it = files_.find(xid);
  if (it == files_.end()) return;
  if (subxid == xid || subxid == 0) {
    Remove(xid);
    return;
  }
  File& file = it->second;
  size_t i = file.subxacts.size();
  while (i > 0 && file.subxacts[i - 1].xid != subxid) --i;
  if (i == 0) return;  // nothing of that subtransaction was spooled
  const uint64_t offset = file.subxacts[i - 1].offset;
  file.subxacts.resize(i - 1);
  if (std::fflush(file.stream) != 0 || ftruncate(fileno(file.stream), static_cast<off_t>(offset)) != 0 ||
      std::fseek(file.stream, static_cast<long>(offset), SEEK_SET) != 0) {
    throw SpoolError(fmt::format("cannot truncate spool file {}: {}", PathOf(xid), Errno()));
  }
  file.size = offset;
}

void StreamSpool::Replay(uint32_t xid, const RecordFn& fn) {
  if (InBlock()) throw DecodeError(fmt::format("stream commit of transaction {} inside a stream block", xid));
  auto it = files_.find(xid);
  if (it == files_.end()) {
    throw DecodeError(fmt::format("stream commit of transaction {} whose blocks never arrived", xid));
  }
  std::FILE* stream = it->second.stream;
  const uint64_t total = it->second.size;
  if (std::fflush(stream) != 0 || std::fseek(stream, 0, SEEK_SET) != 0) {
    throw SpoolError(fmt::format("cannot read back spool file {}: {}", PathOf(xid), Errno()));
  }
  std::string record;
  for (uint64_t at = 0; at < total;) {
    char header[kHeaderSize];
    uint32_t size = 0;
    uint64_t lsn = 0;
    if (std::fread(header, 1, kHeaderSize, stream) != kHeaderSize) {
      throw SpoolError(fmt::format("spool file {} is truncated at offset {}", PathOf(xid), at));
    }
    std::memcpy(&size, header, sizeof size);
    std::memcpy(&lsn, header + sizeof size, sizeof lsn);
    record.resize(size);
    if (size > 0 && std::fread(record.data(), 1, size, stream) != size) {
      throw SpoolError(fmt::format("spool file {} is truncated at offset {}", PathOf(xid), at));
    }
    at += kHeaderSize + size;
    fn(lsn, record.data(), size);
  }
  Remove(xid);
}

}  // namespace pgduplex
