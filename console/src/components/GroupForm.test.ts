import { parseTags } from "./GroupForm";

describe("parseTags", () => {
  it("reads Key=Value pairs separated by commas", () => {
    expect(parseTags("Tier=web, Environment = production")).toEqual({ Tier: "web", Environment: "production" });
    expect(parseTags("Name=a=b")).toEqual({ Name: "a=b" });
  });
  it("refuses a pair without a key or an equals sign, and an empty list", () => {
    expect(parseTags("Tier")).toBeNull();
    expect(parseTags("=web")).toBeNull();
    expect(parseTags(" , ")).toBeNull();
  });
});
