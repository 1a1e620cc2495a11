import { describe, expect, it } from "vitest";
import { emptyForm, portAfterSecurityChange, toSettings, usernameAfterEmailChange, validate } from "./settingsForm";

describe("default ports", () => {
  it("follow the security unless the user chose a port", () => {
    expect(portAfterSecurityChange("pop3", 995, "startTls")).toBe(110);
    expect(portAfterSecurityChange("pop3", 110, "tls")).toBe(995);
    expect(portAfterSecurityChange("smtp", 465, "startTls")).toBe(587);
    expect(portAfterSecurityChange("smtp", 587, "tls")).toBe(465);
    expect(portAfterSecurityChange("smtp", null, "tls")).toBe(465);
    expect(portAfterSecurityChange("pop3", 1995, "startTls")).toBe(1995);
  });
});

describe("user names", () => {
  it("are pre-filled from the e-mail address while empty or still equal to it", () => {
    expect(usernameAfterEmailChange("", "", "a")).toBe("a");
    expect(usernameAfterEmailChange("a", "a", "as")).toBe("as");
    expect(usernameAfterEmailChange("asha", "a@x", "a@xy")).toBe("asha");
  });
});

describe("validate", () => {
  it("lists missing fields and bad ports", () => {
    const form = emptyForm();
    form.pop3.port = 70000;
    expect(validate(form)).toEqual([
      { type: "required", fields: ["email", "pop3Host", "pop3Username", "smtpHost"] },
      { type: "port", server: "pop3" },
    ]);
  });

  it("accepts a complete form and trims it", () => {
    const form = emptyForm();
    form.email = " asha@example.com ";
    form.pop3 = { host: " pop.example.com", port: 995, security: "tls", username: "asha" };
    form.smtp = { host: "smtp.example.com", port: 587, security: "startTls", username: "asha" };
    expect(validate(form)).toEqual([]);
    const settings = toSettings(form, null);
    expect(settings.email).toBe("asha@example.com");
    expect(settings.pop3.host).toBe("pop.example.com");
    expect(settings.trustedCertificate).toBeNull();
  });

  it("keeps days only in keep mode, and only whole days from 1", () => {
    const form = emptyForm();
    form.email = "asha@example.com";
    form.pop3 = { host: "pop.example.com", port: 995, security: "tls", username: "asha" };
    form.smtp = { host: "smtp.example.com", port: 465, security: "tls", username: "asha" };
    form.keepDays = 0;
    expect(validate(form)).toEqual([{ type: "keepDays" }]);
    form.keepDays = 14;
    expect(validate(form)).toEqual([]);
    expect(toSettings(form, null).keepDays).toBe(14);
    form.pop3Mode = "deleteAfterDownload";
    form.keepDays = 0;
    expect(validate(form)).toEqual([]);
    expect(toSettings(form, null).keepDays).toBeNull();
  });

  it("rejects an address without @", () => {
    const form = emptyForm();
    form.email = "asha";
    expect(validate(form)).toContainEqual({ type: "email" });
  });
});

describe("partial downloads and deleting here", () => {
  function complete() {
    const form = emptyForm();
    form.email = "asha@example.com";
    form.pop3 = { host: "pop.example.com", port: 995, security: "tls", username: "asha" };
    form.smtp = { host: "smtp.example.com", port: 465, security: "tls", username: "asha" };
    return form;
  }

  it("accept a size limit only in whole KiB from 1, and ignore it with headers only", () => {
    const form = complete();
    form.maxMessageKib = 0;
    expect(validate(form)).toEqual([{ type: "maxMessageKib" }]);
    form.maxMessageKib = 512;
    expect(validate(form)).toEqual([]);
    expect(toSettings(form, null).maxMessageKib).toBe(512);
    form.headersOnly = true;
    form.maxMessageKib = 0;
    expect(validate(form)).toEqual([]);
    expect(toSettings(form, null)).toMatchObject({ headersOnly: true, maxMessageKib: null });
  });

  it("delete from the server on a delete here only in keep mode", () => {
    const form = complete();
    form.deleteWhenDeletedHere = true;
    expect(toSettings(form, null).deleteWhenDeletedHere).toBe(true);
    form.pop3Mode = "deleteAfterDownload";
    expect(toSettings(form, null).deleteWhenDeletedHere).toBe(false);
  });
});
