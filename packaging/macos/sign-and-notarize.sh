#!/usr/bin/env bash
# Signs Hearth.app with a Developer ID under the hardened runtime, has Apple notarize it, and
# staples the ticket, so Gatekeeper opens it without a warning. Needs a Mac, a paid Apple
# Developer account, and in the environment:
#   MACOS_CERTIFICATE (base64 .p12), MACOS_CERTIFICATE_PASSWORD, MACOS_IDENTITY
#   ("Developer ID Application: NAME (TEAM)"), NOTARY_APPLE_ID, NOTARY_TEAM_ID, NOTARY_PASSWORD
#   (an app-specific password).
set -euo pipefail
app="$1"
here="$(cd "$(dirname "$0")" && pwd)"

# A keychain of its own, holding only the certificate.
keychain="$RUNNER_TEMP/hearth-signing.keychain-db"
security create-keychain -p "" "$keychain"
security set-keychain-settings -lut 21600 "$keychain"
security unlock-keychain -p "" "$keychain"
echo "$MACOS_CERTIFICATE" | base64 --decode > "$RUNNER_TEMP/certificate.p12"
security import "$RUNNER_TEMP/certificate.p12" -k "$keychain" -P "$MACOS_CERTIFICATE_PASSWORD" \
  -T /usr/bin/codesign
security set-key-partition-list -S apple-tool:,apple: -s -k "" "$keychain"
security list-keychains -d user -s "$keychain"

# Every nested library first (codesign --deep does not sign them the way notarization
# wants), then the app with its entitlements.
find "$app/Contents" \( -name "*.dylib" -o -name "*.so" \) -print0 |
  xargs -0 codesign --force --options runtime --timestamp --sign "$MACOS_IDENTITY"
codesign --force --options runtime --timestamp --entitlements "$here/entitlements.plist" \
  --sign "$MACOS_IDENTITY" "$app"
codesign --verify --deep --strict --verbose=2 "$app"

ditto -c -k --keepParent "$app" "$RUNNER_TEMP/Hearth.zip"
xcrun notarytool submit "$RUNNER_TEMP/Hearth.zip" --apple-id "$NOTARY_APPLE_ID" \
  --team-id "$NOTARY_TEAM_ID" --password "$NOTARY_PASSWORD" --wait
xcrun stapler staple "$app"
spctl --assess --type execute --verbose "$app"
