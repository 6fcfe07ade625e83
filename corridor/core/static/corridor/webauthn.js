/* Security keys and passkeys: the browser half of corridor/accounts/webauthn.py.
 *
 * Binds to #webauthn-login (second sign-in step) and #webauthn-register (My security).
 * No inline script, no eval: the Content-Security-Policy allows only this file.
 * Messages come from the server where it has one; the few browser-side ones can be
 * translated by data-msg-* attributes on the container.
 */
(function () {
  "use strict";

  var FALLBACK = {
    unsupported: "This browser cannot use security keys or passkeys. Use a code instead.",
    cancelled: "The security key request was cancelled or timed out. Please try again.",
    known: "This security key is already registered.",
    network: "The server could not be reached. Please try again.",
    codesTitle: "Your recovery codes",
    codesIntro: "These recovery codes let you sign in if you lose your keys. Each works once. Write them on paper; they will not be shown again.",
    continue: "Continue",
  };

  function message(container, key) {
    var given = container.dataset["msg" + key.charAt(0).toUpperCase() + key.slice(1)];
    return given || FALLBACK[key];
  }

  function bufferToBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) {
      text += String.fromCharCode(bytes[i]);
    }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function base64urlToBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var text = atob(base64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) {
      bytes[i] = text.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var out = { type: item.type, id: base64urlToBuffer(item.id) };
      if (item.transports) {
        out.transports = item.transports;
      }
      return out;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = base64urlToBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: base64urlToBuffer(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = base64urlToBuffer(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function registrationJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: bufferToBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: bufferToBase64url(response.clientDataJSON),
        attestationObject: bufferToBase64url(response.attestationObject),
        transports: typeof response.getTransports === "function" ? response.getTransports() : [],
      },
    };
  }

  function assertionJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: bufferToBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: bufferToBase64url(response.clientDataJSON),
        authenticatorData: bufferToBase64url(response.authenticatorData),
        signature: bufferToBase64url(response.signature),
        userHandle: response.userHandle ? bufferToBase64url(response.userHandle) : undefined,
      },
    };
  }

  function csrfToken() {
    // CSRF_COOKIE_HTTPONLY: the token is read from a form on the page, never the cookie.
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // A failed request resolves to {error: ...}: the caller shows one kind of outcome.
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      // Django's CSRF check needs a real Origin; a no-referrer page policy would send "null".
      referrerPolicy: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () {
        return { error: null };
      }).then(function (data) {
        if (!response.ok && !data.error) {
          data.error = "";
        }
        return data;
      });
    });
  }

  function showError(container, text, link) {
    var box = container.querySelector("#webauthn-error");
    if (!box) {
      return;
    }
    box.textContent = text;
    if (link) {
      box.appendChild(document.createTextNode(" "));
      var anchor = document.createElement("a");
      anchor.href = link;
      anchor.textContent = message(container, "continue");
      box.appendChild(anchor);
    }
    box.hidden = false;
  }

  function clearError(container) {
    var box = container.querySelector("#webauthn-error");
    if (box) {
      box.hidden = true;
      box.textContent = "";
    }
  }

  function browserError(container, error) {
    if (error && error.name === "InvalidStateError") {
      return message(container, "known");
    }
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      return message(container, "cancelled");
    }
    return message(container, "network");
  }

  function supported() {
    return typeof window.PublicKeyCredential !== "undefined" && navigator.credentials;
  }

  function showRecoveryCodes(container, codes, next) {
    var section = document.createElement("div");
    section.id = "webauthn-recovery-codes";
    var heading = document.createElement("h3");
    heading.textContent = message(container, "codesTitle");
    var intro = document.createElement("p");
    intro.textContent = message(container, "codesIntro");
    var list = document.createElement("ul");
    list.className = "codes";
    codes.forEach(function (code) {
      var item = document.createElement("li");
      var text = document.createElement("code");
      text.textContent = code;
      item.appendChild(text);
      list.appendChild(item);
    });
    var onward = document.createElement("a");
    onward.className = "button";
    onward.href = next;
    onward.textContent = message(container, "continue");
    section.appendChild(heading);
    section.appendChild(intro);
    section.appendChild(list);
    section.appendChild(onward);
    container.appendChild(section);
  }

  function setUpRegister(container) {
    var button = container.querySelector("#webauthn-register-button");
    var nameInput = container.querySelector("#webauthn-name");
    if (!button) {
      return;
    }
    button.addEventListener("click", function () {
      clearError(container);
      if (!supported()) {
        showError(container, message(container, "unsupported"));
        return;
      }
      button.disabled = true;
      post(container.dataset.optionsUrl)
        .then(function (data) {
          if (data.error !== undefined) {
            throw { server: data };
          }
          return navigator.credentials.create({ publicKey: creationOptions(data.options) });
        })
        .then(function (credential) {
          return post(container.dataset.verifyUrl, {
            name: nameInput ? nameInput.value : "",
            credential: registrationJSON(credential),
          });
        })
        .then(function (data) {
          if (data.error !== undefined) {
            throw { server: data };
          }
          if (data.recovery_codes && data.recovery_codes.length) {
            showRecoveryCodes(container, data.recovery_codes, data.redirect);
          } else {
            window.location.assign(data.redirect);
          }
        })
        .catch(function (problem) {
          button.disabled = false;
          if (problem && problem.server) {
            showError(container, problem.server.error || message(container, "network"), problem.server.reauth_url);
          } else {
            showError(container, browserError(container, problem));
          }
        });
    });
  }

  function setUpLogin(container) {
    var button = container.querySelector("#webauthn-button");
    if (!button) {
      return;
    }
    if (!supported()) {
      button.hidden = true;
      return;
    }
    // Where the code form would go: ?next= on this page (the header's language form has
    // its own "next" input, so the field is not looked up by name). The server checks it.
    var next = new URLSearchParams(window.location.search).get("next") || "";
    button.addEventListener("click", function () {
      clearError(container);
      button.disabled = true;
      post(container.dataset.optionsUrl)
        .then(function (data) {
          if (data.error !== undefined) {
            throw { server: data };
          }
          return navigator.credentials.get({ publicKey: requestOptions(data.options) });
        })
        .then(function (credential) {
          return post(container.dataset.verifyUrl, {
            next: next,
            credential: assertionJSON(credential),
          });
        })
        .then(function (data) {
          if (data.error !== undefined) {
            throw { server: data };
          }
          window.location.assign(data.redirect);
        })
        .catch(function (problem) {
          button.disabled = false;
          if (problem && problem.server) {
            showError(container, problem.server.error || message(container, "network"), problem.server.reauth_url);
          } else {
            showError(container, browserError(container, problem));
          }
        });
    });
  }

  function start() {
    var login = document.getElementById("webauthn-login");
    if (login) {
      setUpLogin(login);
    }
    var register = document.getElementById("webauthn-register");
    if (register) {
      setUpRegister(register);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
