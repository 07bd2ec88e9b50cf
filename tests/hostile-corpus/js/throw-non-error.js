// Throws a value that is not an Error and whose string form never finishes.
function summarize(values) {
  throw { toString() { for (;;) {} }, get message() { for (;;) {} } };
}
