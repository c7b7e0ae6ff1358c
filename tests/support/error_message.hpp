#pragma once
// What an expected exception says, so a test can check that the one line names the
// file and the place (the bad-input contract of the README).
#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace penumbra::test {

// Runs f and returns the message of the E it throws; a test failure (and "") when it
// throws nothing.
template <class E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected exception not thrown";
  return "";
}

}  // namespace penumbra::test
