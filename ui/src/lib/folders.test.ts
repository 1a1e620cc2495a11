import { describe, expect, it } from "vitest";
import { countIn, folderKey, sameFolder, userFolderName } from "./folders";

describe("folders", () => {
  it("compare by key", () => {
    expect(folderKey("inbox")).toBe("inbox");
    expect(folderKey({ user: 3 })).toBe("user:3");
    expect(sameFolder({ user: 3 }, { user: 3 })).toBe(true);
    expect(sameFolder({ user: 3 }, "inbox")).toBe(false);
  });

  it("count per account or for all", () => {
    const counts = [
      { folder: "inbox" as const, accountId: 1, total: 5, unread: 2 },
      { folder: "inbox" as const, accountId: 2, total: 3, unread: 1 },
      { folder: { user: 7 }, accountId: 1, total: 4, unread: 4 },
    ];
    expect(countIn(counts, "inbox", null)).toEqual({ total: 8, unread: 3 });
    expect(countIn(counts, "inbox", 2)).toEqual({ total: 3, unread: 1 });
    expect(countIn(counts, { user: 7 }, null)).toEqual({ total: 4, unread: 4 });
    expect(countIn(counts, "trash", null)).toEqual({ total: 0, unread: 0 });
  });

  it("names user folders", () => {
    expect(userFolderName({ user: 7 }, [{ id: 7, name: "रसीदें" }])).toBe("रसीदें");
    expect(userFolderName("inbox", [])).toBe(null);
  });
});
