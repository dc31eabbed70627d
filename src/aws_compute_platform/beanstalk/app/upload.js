"use strict";
// The upload page's logic. The file is sent as the request body itself, so the server can stream it to storage
// without parsing a form. Every answer is read as text first: nginx (413) and the load balancer (502, 503, 504)
// answer with HTML, not JSON, and a network error answers nothing at all. Each case ends in a message and an
// enabled button. The functions take plain objects, so tests run them under Node without a browser.

const MIB = 1024 * 1024;

function sizeText(bytes) {
  return (bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1) + " MiB";
}

// A message when the chosen file cannot be sent as it is, or null.
function checkFile(file, maxBytes) {
  if (!file) {
    return "Choose the payroll file first.";
  }
  if (maxBytes > 0 && file.size > maxBytes) {
    return "Not uploaded: the file is " + sizeText(file.size) + ", larger than the limit of " + sizeText(maxBytes) + ".";
  }
  if (file.size === 0) {
    return "Not uploaded: the file is empty.";
  }
  return null;
}

// What to tell the user about an HTTP answer: {ok, message}.
function describeAnswer(status, bodyText, maxBytes) {
  let answer = null;
  try {
    answer = JSON.parse(bodyText);
  } catch (error) {
    answer = null; // an HTML error page, or nothing
  }
  const error = answer && typeof answer === "object" && typeof answer.error === "string" ? answer.error : null;
  if (status === 202 && answer && typeof answer === "object" && typeof answer.jobId === "string") {
    let message = "Received: job " + answer.jobId + ". You will get an email when it has been checked.";
    if (typeof answer.encoding === "string" && answer.encoding !== "UTF-8") {
      message += " Note: the file is not UTF-8 and was read as " + answer.encoding + ".";
    }
    return { ok: true, message: message };
  }
  if (status === 401) {
    return { ok: false, message: "Not uploaded: your sign-in has ended. Reload the page to sign in again." };
  }
  if (status === 413) {
    return {
      ok: false,
      message: "Not uploaded: " + (error || "the file is larger than the limit of " + sizeText(maxBytes)) + ".",
    };
  }
  if (status >= 400 && status < 500) {
    return { ok: false, message: "Not uploaded: " + (error || "the server refused the file (HTTP " + status + ")") + "." };
  }
  if (status === 502 || status === 503) {
    return {
      ok: false,
      message:
        "Not uploaded: the service is unavailable (HTTP " + status + "), perhaps restarting. Try again in a few minutes.",
    };
  }
  if (status === 504) {
    return {
      ok: false,
      message:
        "The server did not answer in time (HTTP 504): the file may or may not have been received. " +
        "If no email arrives within the hour, upload it again.",
    };
  }
  if (status >= 500) {
    return { ok: false, message: "Not uploaded: the server failed (HTTP " + status + "). Try again in a few minutes." };
  }
  return {
    ok: false,
    message: "Unexpected answer from the server (HTTP " + status + "): the file may not have been received. Try again.",
  };
}

// What to tell the user when no answer came: fetch rejected (connection refused or lost, offline, DNS, CORS).
function describeNetworkError(error) {
  const detail = error && error.message ? " (" + error.message + ")" : "";
  return {
    ok: false,
    message: "Not uploaded: the server could not be reached" + detail + ". Check your connection and try again.",
  };
}

function show(ui, outcome) {
  ui.status.textContent = outcome.message;
  ui.status.dataset.outcome = outcome.ok ? "ok" : "error";
}

// One upload: ui = {file, maxBytes, button, status}; fetchImpl is window.fetch or a test double. The result goes to
// the signed-in user's own address: the request names no recipient.
async function submitUpload(ui, fetchImpl) {
  if (ui.button.disabled) {
    return; // an upload is running (Enter pressed again)
  }
  const problem = checkFile(ui.file, ui.maxBytes);
  if (problem) {
    show(ui, { ok: false, message: problem });
    return;
  }
  ui.button.disabled = true;
  show(ui, { ok: true, message: "Uploading " + sizeText(ui.file.size) + "..." });
  try {
    let response;
    try {
      response = await fetchImpl("/uploads", {
        method: "POST",
        headers: { "Content-Type": "text/csv" },
        body: ui.file,
      });
    } catch (error) {
      show(ui, describeNetworkError(error));
      return;
    }
    let text = "";
    try {
      text = await response.text();
    } catch (error) {
      text = ""; // the connection dropped while the answer arrived: judge by the status alone
    }
    show(ui, describeAnswer(response.status, text, ui.maxBytes));
  } finally {
    ui.button.disabled = false;
  }
}

if (typeof document !== "undefined") {
  const form = document.getElementById("upload");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitUpload(
      {
        file: form.file.files[0],
        maxBytes: Number(form.dataset.maxBytes),
        button: form.querySelector("button"),
        status: document.getElementById("status"),
      },
      window.fetch.bind(window),
    );
  });
}

if (typeof module !== "undefined") {
  module.exports = { checkFile, describeAnswer, describeNetworkError, submitUpload, sizeText };
}
