/**
 * Per-step overrides for Microsoft's SCIMReferenceCode Postman collection. The collection tests
 * Microsoft's own sample server: it uses userNames that are not email addresses, expects a few
 * behaviours of that server that RFC 7643/7644 do not require, and assumes an empty server. Each
 * entry says what is changed and why; everything else in the collection runs unchanged.
 *
 * Product decisions these rest on (docs: ../../../shared/notes/design.md):
 *  - userName is the BigCommerce customer email, so it must be an email address;
 *  - displayName and name.formatted are derived ("given family"), values sent are not stored;
 *  - emails holds the one customer email (= userName);
 *  - addresses are not part of the User mapping (/Schemas does not advertise them);
 *  - user PATCH answers 200 with the resource.
 */

/** [from, to]: replace every occurrence of `from` by `to`. */
export type TextEdit = [string, string];

export interface PostmanOverride {
  /** Step key: "Folder / Request name" (" #2" for the second request of the same name). */
  step: string;
  /** What is changed, in words. */
  change: string;
  /** Why: the RFC 7643/7644 section or the product decision. */
  reason: string;
  skip?: boolean;
  url?: TextEdit[];
  body?: TextEdit[];
  /** Edits to the step's test script (pm.test sources). */
  script?: TextEdit[];
  /** Extra pm.test source appended to the step's tests. */
  addTests?: string;
  /** For steps without tests: the status the bridge must answer. */
  expectStatus?: number;
}

const EMAIL_USERNAME =
  "userName is the BigCommerce customer email, which must be an email address (product decision; RFC 7643 §4.1.1 leaves the userName format to the service provider)";
const DERIVED_NAME =
  "displayName / name.formatted are derived as \"givenName familyName\" and values sent are not stored (product decision, stated in /Schemas; BigCommerce has first_name/last_name only)";
const USER_PATCH_200 =
  "RFC 7644 §3.5.2: on success the server returns either 200 with the resource or 204; the bridge answers user PATCH with 200 + resource (Okta and Entra accept both)";

/** Rewrites `"userName": "<name>"` to an email, keeping the original text as its local part. */
function userNameToEmail(name: string, spacing = " "): TextEdit {
  return [`"userName":${spacing}"${name}"`, `"userName":${spacing}"${name}@example.com"`];
}

export const POSTMAN_OVERRIDES: PostmanOverride[] = [
  {
    step: "Get Token / Get Token",
    change: "not sent; {{token}} is preset to the bridge's bearer token",
    reason: "GET /Token is the reference server's development token endpoint, not part of SCIM (RFC 7644 §2 leaves authentication to HTTP)",
    skip: true,
  },
  {
    step: "Endpoint tests / Get ServiceProviderConfig",
    change: "URL /serviceConfiguration → /ServiceProviderConfig",
    reason: "RFC 7644 §4: the service provider configuration endpoint is /ServiceProviderConfig; /serviceConfiguration is the reference server's own path",
    url: [["/serviceConfiguration", "/ServiceProviderConfig"]],
  },

  // User tests
  {
    step: "User tests / Post User",
    change: 'body userName "UserName123" → "UserName123@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("UserName123")],
  },
  {
    step: "User tests / Post EnterpriseUser",
    change: 'body userName "UserName222" → "UserName222@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("UserName222")],
  },
  {
    step: "User tests / Get User Filters",
    change: 'filter DisplayName eq "BobIsAmazing" → DisplayName eq "Ryan Leenay" (the displayName the bridge derives for id1)',
    reason: DERIVED_NAME,
    url: [["DisplayName+eq+%22BobIsAmazing%22", "DisplayName+eq+%22Ryan+Leenay%22"]],
  },
  {
    step: "User tests / patch user1",
    change: 'PATCH value "ryan3" → "ryan3@example.com"; the step has no tests, the bridge must answer 200',
    reason: `${EMAIL_USERNAME}; ${USER_PATCH_200}`,
    body: [['"value": "ryan3"', '"value": "ryan3@example.com"']],
    expectStatus: 200,
  },
  {
    step: "User tests / Get User1 Check Patch",
    change: 'expected userName "ryan3" → "ryan3@example.com"',
    reason: EMAIL_USERNAME,
    script: [['to.eql("ryan3")', 'to.eql("ryan3@example.com")']],
  },
  {
    step: "User tests / User 2 replace test",
    change: 'body userName "UserNameReplace2" → "UserNameReplace2@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("UserNameReplace2")],
  },
  {
    step: "User tests / Get user2 Check replace",
    change: 'expected name.formatted "NewName" → "Ryan Leenay" (givenName + familyName of the PUT)',
    reason: DERIVED_NAME,
    script: [['to.eql("NewName")', 'to.eql("Ryan Leenay")']],
  },

  // Group tests
  {
    step: "Group tests / create user for group 2",
    change: 'body userName "UserName333" → "UserName333@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("UserName333")],
  },
  {
    step: "Group tests / Create user 4 for group 2",
    change: 'body userName "UserName444" → "UserName444@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("UserName444")],
  },
  {
    step: "Group tests / Get group by id",
    change: 'expected body to include "new User" → to include user4\'s id (a member of group 1 after the add/remove/add PATCHes)',
    reason:
      'the PATCH sent members [{"displayName":"new User","value":id4}]; displayName is not a sub-attribute of members (RFC 7643 §4.2, §8.7.1: value, $ref, type, display) and display is immutable — the bridge shows the member the way it knows it',
    script: [['pm.expect(pm.response.text()).to.include("new User");', 'pm.expect(pm.response.json().members.map(function (m) { return m.value; })).to.include(pm.environment.get("id4"));']],
  },
  {
    step: "Group tests / Get group by id #2",
    change: "added: after `remove members` (no value) the group has no members",
    reason:
      'the original assertion (body does not include "new User") passes vacuously on a server that never echoes "new User"; RFC 7644 §3.5.2.2: remove without value and without filter removes all members',
    addTests:
      'pm.test("All members removed", function () { var m = pm.response.json().members; pm.expect(m === undefined || m.length === 0).to.eql(true); });',
  },

  // ComplexAttribute tests
  {
    step: "ComplexAttribute tests / create user1",
    change: 'body userName "UserName111" and work email "emailName357" → both "emailName357@example.com"',
    reason: `${EMAIL_USERNAME}; the bridge keeps one email, the customer's, which is the userName (product decision), so the work email the later steps look for must be that address`,
    body: [
      userNameToEmail("UserName111"),
      ['"UserName111@example.com"', '"emailName357@example.com"'],
      ['"value": "emailName357"', '"value": "emailName357@example.com"'],
    ],
  },
  {
    step: "ComplexAttribute tests / Get user via attributes filter",
    change: 'attributes=emails[value eq "emailName357"] → emails[value eq "emailName357@example.com"] (the address user1 was created with, see "create user1")',
    reason: `${EMAIL_USERNAME}; follows the rewrite of user1's work email`,
    url: [["emails%5Bvalue+eq+%22emailName357%22%5D", "emails%5Bvalue+eq+%22emailName357%40example.com%22%5D"]],
  },
  {
    step: "ComplexAttribute tests / create user2",
    change: 'body userName "UserName222" → "UserName222@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("UserName222")],
  },

  // User tests with garbage
  {
    step: 'User tests with garbage / Post user "OMalley"',
    change: 'body userName "OMalley" → "OMalley@example.com"; expected userName likewise',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("OMalley")],
    script: [['to.eql("OMalley")', 'to.eql("OMalley@example.com")']],
  },
  {
    step: 'User tests with garbage / Post emp1 with string "True"',
    change: 'body userName "emp1" → "emp1@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("emp1")],
  },
  {
    step: "User tests with garbage / Post emp2",
    change: 'body userName "emp2" → "emp2@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("emp2")],
  },
  {
    step: "User tests with garbage / Post emp3",
    change: 'body userName "emp3" → "emp3@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("emp3")],
  },
  {
    step: "User tests with garbage / Post emp3 exists",
    change: 'body userName "emp3" → "emp3@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("emp3")],
  },
  {
    step: "User tests with garbage / Post emp3 exists try again",
    change: 'body userName "emp3" → "emp3@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("emp3")],
  },
  {
    step: "User tests with garbage / Put a user misspelled attribute",
    change: 'body userName "OMalley" → "OMalley@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("OMalley")],
  },
  {
    step: "User tests with garbage / Post enterprise user",
    change: 'body userName "enterprise" → "enterprise@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("enterprise")],
  },
  {
    step: "User tests with garbage / Patch user omalley new username",
    change: 'PATCH value "newusername" → "newusername@example.com"; expected status 204 → 200',
    reason: `${EMAIL_USERNAME}; ${USER_PATCH_200}`,
    body: [['"value":"newusername"', '"value":"newusername@example.com"']],
    script: [["have.status(204)", "have.status(200)"]],
  },
  {
    step: "User tests with garbage / patch user omalley active with boolean",
    change: "expected status 204 → 200",
    reason: USER_PATCH_200,
    script: [["have.status(204)", "have.status(200)"]],
  },
  {
    step: "User tests with garbage / get user1",
    change: 'expected userName "newusername" → "newusername@example.com"',
    reason: EMAIL_USERNAME,
    script: [['to.eql("newusername")', 'to.eql("newusername@example.com")']],
  },
  {
    step: "User tests with garbage / Put a user OMalley",
    change: 'body userName "OMalley" → "OMalley@example.com"; expected userName likewise; dropped: body includes "Germany" (an addresses.country value)',
    reason: `${EMAIL_USERNAME}; addresses are not part of the User mapping and not advertised in /Schemas — RFC 7644 §3.5.1 lets the server ignore attributes it does not support on replace`,
    body: [userNameToEmail("OMalley")],
    script: [
      ['to.eql("OMalley")', 'to.eql("OMalley@example.com")'],
      ['pm.expect(pm.response.text()).to.include("Germany");', "/* dropped by override: addresses not stored */"],
    ],
  },
  {
    step: "User tests with garbage / Post emp3 exists try again #2",
    change: 'body userName "emp3" → "emp3@example.com"',
    reason: EMAIL_USERNAME,
    body: [userNameToEmail("emp3")],
  },

  // Group tests with garbage
  ...["Group patch add member", "Group patch add member2"].map((name) => ({
    step: `Group tests with garbage / ${name}`,
    change: "expected status 204 → 400 invalidValue (the member value \"string id N\" names no user)",
    reason:
      "what an IdP sends is stored or refused with a reason, never silently dropped (issue 19, item 3): a member that is no user of the store is refused with 400 invalidValue naming it, and nothing of the PATCH is applied (RFC 7644 §3.5.2: a PATCH is atomic; §3.12 invalidValue). No IdP replay depends on the silent form: Entra and Okta send ids the bridge gave them",
    script: [
      [
        "pm.response.to.have.status(204);",
        'pm.response.to.have.status(400); pm.expect(pm.response.json().scimType).to.eql("invalidValue"); pm.expect(pm.response.json().detail).to.include("string id");',
      ] as TextEdit,
    ],
  })),
];
