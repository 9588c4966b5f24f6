<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name />
    <message>
        <source>Recap Desktop</source>
        <translation>Recap Desktop</translation>
    </message>
    <message>
        <source>The DEMO is ready: start Recap Desktop again with --demo.</source>
        <translation>The DEMO is ready: start Recap Desktop again with --demo.</translation>
    </message>
    <message>
        <source>What</source>
        <translation>What</translation>
    </message>
    <message>
        <source>Signed by</source>
        <translation>Signed by</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Record</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>correction</source>
        <translation>correction</translation>
    </message>
    <message>
        <source>sheet</source>
        <translation>sheet</translation>
    </message>
    <message>
        <source>approved</source>
        <translation>approved</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>rejected</translation>
    </message>
    <message>
        <source>does not count: %1</source>
        <translation>does not count: %1</translation>
    </message>
    <message>
        <source>not entered</source>
        <translation>not entered</translation>
    </message>
    <message>
        <source>signed</source>
        <translation>signed</translation>
    </message>
    <message>
        <source>corrected</source>
        <translation>corrected</translation>
    </message>
    <message>
        <source>disputed</source>
        <translation>disputed</translation>
    </message>
    <message>
        <source>not counted: needs attention</source>
        <translation>not counted: needs attention</translation>
    </message>
    <message>
        <source>partly entered</source>
        <translation>partly entered</translation>
    </message>
    <message>
        <source>not yet sent</source>
        <translation>not yet sent</translation>
    </message>
    <message>
        <source>no D.Hasil yet</source>
        <translation>no D.Hasil yet</translation>
    </message>
    <message>
        <source>interim D.Hasil only</source>
        <translation>interim D.Hasil only</translation>
    </message>
    <message>
        <source>D.Hasil outdated: its chair signs a new version</source>
        <translation>D.Hasil outdated: its chair signs a new version</translation>
    </message>
    <message>
        <source>key not yet certified</source>
        <translation>key not yet certified</translation>
    </message>
    <message>
        <source>signer revoked</source>
        <translation>signer revoked</translation>
    </message>
    <message>
        <source>role not allowed</source>
        <translation>role not allowed</translation>
    </message>
    <message>
        <source>outside the signer's region</source>
        <translation>outside the signer's region</translation>
    </message>
    <message>
        <source>after a chain fork</source>
        <translation>after a chain fork</translation>
    </message>
    <message>
        <source>operator</source>
        <translation>operator</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>supervisor</translation>
    </message>
    <message>
        <source>chair</source>
        <translation>chair</translation>
    </message>
    <message>
        <source>witness</source>
        <translation>witness</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>accepted</translation>
    </message>
    <message>
        <source>noted</source>
        <translation>noted</translation>
    </message>
    <message>
        <source>Unlock your key</source>
        <translation>Unlock your key</translation>
    </message>
    <message>
        <source>Passphrase of your signing key:</source>
        <translation>Passphrase of your signing key:</translation>
    </message>
    <message>
        <source>Unlocking the key</source>
        <translation>Unlocking the key</translation>
    </message>
    <message>
        <source>DEMO key: the passphrase is %1</source>
        <translation>DEMO key: the passphrase is %1</translation>
    </message>
    <message>
        <source>Sheet (C.Hasil)</source>
        <translation>Sheet (C.Hasil)</translation>
    </message>
    <message>
        <source>Recap</source>
        <translation>Recap</translation>
    </message>
    <message>
        <source>Verification</source>
        <translation>Verification</translation>
    </message>
    <message>
        <source>Plenary (D.Hasil)</source>
        <translation>Plenary (D.Hasil)</translation>
    </message>
    <message>
        <source>Contest:</source>
        <translation>Contest:</translation>
    </message>
    <message>
        <source>History of this sheet</source>
        <translation>History of this sheet</translation>
    </message>
    <message>
        <source>Save and sign</source>
        <translation>Save and sign</translation>
    </message>
    <message>
        <source>Import election package…</source>
        <translation>Import election package…</translation>
    </message>
    <message>
        <source>Import certificate…</source>
        <translation>Import certificate…</translation>
    </message>
    <message>
        <source>Export certificate request…</source>
        <translation>Export certificate request…</translation>
    </message>
    <message>
        <source>Import a USB bundle…</source>
        <translation>Import a USB bundle…</translation>
    </message>
    <message>
        <source>Export a USB bundle…</source>
        <translation>Export a USB bundle…</translation>
    </message>
    <message>
        <source>Receipts from the server…</source>
        <translation>Receipts from the server…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quit</translation>
    </message>
    <message>
        <source>Verify every record</source>
        <translation>Verify every record</translation>
    </message>
    <message>
        <source>Rebuild tables from the records</source>
        <translation>Rebuild tables from the records</translation>
    </message>
    <message>
        <source>Refresh states</source>
        <translation>Refresh states</translation>
    </message>
    <message>
        <source>Lock the key now</source>
        <translation>Lock the key now</translation>
    </message>
    <message>
        <source>Double entry: type this sheet twice…</source>
        <translation>Double entry: type this sheet twice…</translation>
    </message>
    <message>
        <source>Find a polling station</source>
        <translation>Find a polling station</translation>
    </message>
    <message>
        <source>Lock the key after idle time…</source>
        <translation>Lock the key after idle time…</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>Sync now</translation>
    </message>
    <message>
        <source>Central server address…</source>
        <translation>Central server address…</translation>
    </message>
    <message>
        <source>As the system</source>
        <translation>As the system</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <source>&amp;Sheet</source>
        <translation>&amp;Sheet</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>&amp;Tools</translation>
    </message>
    <message>
        <source>S&amp;ettings</source>
        <translation>S&amp;ettings</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Language</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <source>About Recap Desktop</source>
        <translation>About Recap Desktop</translation>
    </message>
    <message>
        <source>key not yet certified: sheets do not count yet</source>
        <translation>key not yet certified: sheets do not count yet</translation>
    </message>
    <message>
        <source>KEY REVOKED: it cannot sign</source>
        <translation>KEY REVOKED: it cannot sign</translation>
    </message>
    <message>
        <source>certificate ended: it cannot sign</source>
        <translation>certificate ended: it cannot sign</translation>
    </message>
    <message>
        <source>Recap Desktop %1</source>
        <translation>Recap Desktop %1</translation>
    </message>
    <message>
        <source>Offline-first recapitulation of hand-counted election results: every sheet is signed with the officer's key, kept on this laptop, and synced whenever the central server can be reached.</source>
        <translation>Offline-first recapitulation of hand-counted election results: every sheet is signed with the officer's key, kept on this laptop, and synced whenever the central server can be reached.</translation>
    </message>
    <message>
        <source>Qt %1, Python %2. Data folder: %3</source>
        <translation>Qt %1, Python %2. Data folder: %3</translation>
    </message>
    <message>
        <source>Central server address</source>
        <translation>Central server address</translation>
    </message>
    <message>
        <source>Address of the central server, for example https://recap.example.go.id/ (leave empty to work offline only):</source>
        <translation>Address of the central server, for example https://recap.example.go.id/ (leave empty to work offline only):</translation>
    </message>
    <message>
        <source>Sync not configured: set the central server in Settings</source>
        <translation>Sync not configured: set the central server in Settings</translation>
    </message>
    <message numerus="yes">
        <source>%n unsent</source>
        <translation>
            <numerusform>%n unsent</numerusform>
            <numerusform>%n unsent</numerusform>
        </translation>
    </message>
    <message>
        <source>the server broke its own signed promises: nothing was marked sent on its word; the evidence is kept in this folder. Tell the election authority</source>
        <translation>the server broke its own signed promises: nothing was marked sent on its word; the evidence is kept in this folder. Tell the election authority</translation>
    </message>
    <message>
        <source>this laptop's clock is %1 minutes off the server's: set it right</source>
        <translation>this laptop's clock is %1 minutes off the server's: set it right</translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) with problems: see the Verification tab.</source>
        <translation>
            <numerusform>%n record with problems: see the Verification tab.</numerusform>
            <numerusform>%n records with problems: see the Verification tab.</numerusform>
        </translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>&lt; Back</source>
        <translation>&lt; Back</translation>
    </message>
    <message>
        <source>Next &gt;</source>
        <translation>Next &gt;</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>Finish</translation>
    </message>
    <message>
        <source>DEMO election: not a real election. Names and numbers are invented; the DEMO passphrase is %1. Data folder: %2</source>
        <translation>DEMO election: not a real election. Names and numbers are invented; the DEMO passphrase is %1. Data folder: %2</translation>
    </message>
    <message>
        <source>Lock the key after idle time</source>
        <translation>Lock the key after idle time</translation>
    </message>
    <message>
        <source>Minutes without a key press or click before the key locks:</source>
        <translation>Minutes without a key press or click before the key locks:</translation>
    </message>
    <message>
        <source>Opening the election</source>
        <translation>Opening the election</translation>
    </message>
    <message>
        <source>key locked</source>
        <translation>key locked</translation>
    </message>
    <message>
        <source>key unlocked</source>
        <translation>key unlocked</translation>
    </message>
    <message>
        <source>online</source>
        <translation>online</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>offline</translation>
    </message>
    <message>
        <source>last sync %1</source>
        <translation>last sync %1</translation>
    </message>
    <message>
        <source>never</source>
        <translation>never</translation>
    </message>
    <message>
        <source>Import election package</source>
        <translation>Import election package</translation>
    </message>
    <message>
        <source>Importing the election package</source>
        <translation>Importing the election package</translation>
    </message>
    <message>
        <source>Import certificate</source>
        <translation>Import certificate</translation>
    </message>
    <message>
        <source>Importing the certificate</source>
        <translation>Importing the certificate</translation>
    </message>
    <message>
        <source>Export a USB bundle</source>
        <translation>Export a USB bundle</translation>
    </message>
    <message>
        <source>Writing the bundle</source>
        <translation>Writing the bundle</translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) written beside it, in:</source>
        <translation>
            <numerusform>%n photo written beside it, in:</numerusform>
            <numerusform>%n photos written beside it, in:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) the sheets name are not held here and were not included.</source>
        <translation>
            <numerusform>%n photo the sheets name is not held here and was not included.</numerusform>
            <numerusform>%n photos the sheets name are not held here and were not included.</numerusform>
        </translation>
    </message>
    <message>
        <source>Bundle written</source>
        <translation>Bundle written</translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) written to the bundle.</source>
        <translation>
            <numerusform>%n record written to the bundle.</numerusform>
            <numerusform>%n records written to the bundle.</numerusform>
        </translation>
    </message>
    <message>
        <source>Import a USB bundle</source>
        <translation>Import a USB bundle</translation>
    </message>
    <message>
        <source>Importing the bundle</source>
        <translation>Importing the bundle</translation>
    </message>
    <message numerus="yes">
        <source>%n new record(s) imported.</source>
        <translation>
            <numerusform>%n new record imported.</numerusform>
            <numerusform>%n new records imported.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) held already.</source>
        <translation>
            <numerusform>%n record held already.</numerusform>
            <numerusform>%n records held already.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) refused:</source>
        <translation>
            <numerusform>%n record refused:</numerusform>
            <numerusform>%n records refused:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) kept from the bundle.</source>
        <translation>
            <numerusform>%n photo kept from the bundle.</numerusform>
            <numerusform>%n photos kept from the bundle.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) refused:</source>
        <translation>
            <numerusform>%n photo refused:</numerusform>
            <numerusform>%n photos refused:</numerusform>
        </translation>
    </message>
    <message>
        <source>Bundle imported</source>
        <translation>Bundle imported</translation>
    </message>
    <message>
        <source>Reading the receipts</source>
        <translation>Reading the receipts</translation>
    </message>
    <message>
        <source>Export certificate request</source>
        <translation>Export certificate request</translation>
    </message>
    <message>
        <source>Rebuilding tables from the records</source>
        <translation>Rebuilding tables from the records</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>Export CSV…</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Code</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Record counted</source>
        <translation>Record counted</translation>
    </message>
    <message>
        <source>Line of the form</source>
        <translation>Line of the form</translation>
    </message>
    <message>
        <source>Forming</source>
        <translation>Forming</translation>
    </message>
    <message>
        <source>Signed D.Hasil</source>
        <translation>Signed D.Hasil</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>Place</source>
        <translation>Place</translation>
    </message>
    <message>
        <source>Witness</source>
        <translation>Witness</translation>
    </message>
    <message>
        <source>What is contested</source>
        <translation>What is contested</translation>
    </message>
    <message>
        <source>Ruling</source>
        <translation>Ruling</translation>
    </message>
    <message>
        <source>Witnesses' objections and incidents</source>
        <translation>Witnesses' objections and incidents</translation>
    </message>
    <message>
        <source>Witness's name</source>
        <translation>Witness's name</translation>
    </message>
    <message>
        <source>Party or candidate</source>
        <translation>Party or candidate</translation>
    </message>
    <message>
        <source>Paper form (D.Kejadian Khusus No.)</source>
        <translation>Paper form (D.Kejadian Khusus No.)</translation>
    </message>
    <message>
        <source>Record and sign the objection</source>
        <translation>Record and sign the objection</translation>
    </message>
    <message>
        <source>Reason of the ruling</source>
        <translation>Reason of the ruling</translation>
    </message>
    <message>
        <source>Sign the ruling on the chosen objection</source>
        <translation>Sign the ruling on the chosen objection</translation>
    </message>
    <message>
        <source>Objection</source>
        <translation>Objection</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>Incident</translation>
    </message>
    <message>
        <source>Accepted: the count is corrected</source>
        <translation>Accepted: the count is corrected</translation>
    </message>
    <message>
        <source>Rejected: the count stands</source>
        <translation>Rejected: the count stands</translation>
    </message>
    <message>
        <source>Noted</source>
        <translation>Noted</translation>
    </message>
    <message>
        <source>Default basis</source>
        <translation>Default basis</translation>
    </message>
    <message>
        <source>From the sheets (C.Hasil)</source>
        <translation>From the sheets (C.Hasil)</translation>
    </message>
    <message>
        <source>From the D.Hasil below</source>
        <translation>From the D.Hasil below</translation>
    </message>
    <message>
        <source>Interim (the plenary stays open)</source>
        <translation>Interim (the plenary stays open)</translation>
    </message>
    <message>
        <source>Reason, when it replaces your earlier D.Hasil</source>
        <translation>Reason, when it replaces your earlier D.Hasil</translation>
    </message>
    <message>
        <source>Sign the D.Hasil</source>
        <translation>Sign the D.Hasil</translation>
    </message>
    <message>
        <source>Print preview…</source>
        <translation>Print preview…</translation>
    </message>
    <message>
        <source>Save as PDF…</source>
        <translation>Save as PDF…</translation>
    </message>
    <message>
        <source>Choose a sub-district, regency or province in the tree.</source>
        <translation>Choose a sub-district, regency or province in the tree.</translation>
    </message>
    <message>
        <source>Plenary of %1 (%2)</source>
        <translation>Plenary of %1 (%2)</translation>
    </message>
    <message>
        <source>No D.Hasil signed yet.</source>
        <translation>No D.Hasil signed yet.</translation>
    </message>
    <message>
        <source>Two chairs signed different D.Hasil: disputed.</source>
        <translation>Two chairs signed different D.Hasil: disputed.</translation>
    </message>
    <message>
        <source>%1 D.Hasil in force, signed by several chairs: they agree.</source>
        <translation>%1 D.Hasil in force, signed by several chairs: they agree.</translation>
    </message>
    <message>
        <source>FINAL</source>
        <translation>FINAL</translation>
    </message>
    <message>
        <source>interim</source>
        <translation>interim</translation>
    </message>
    <message>
        <source>D.Hasil %1 signed (%2) by %3 at %4</source>
        <translation>D.Hasil %1 signed (%2) by %3 at %4</translation>
    </message>
    <message>
        <source>OUTDATED: the counts changed since; sign a new version.</source>
        <translation>OUTDATED: the counts changed since; sign a new version.</translation>
    </message>
    <message>
        <source>%1 of %2 counted.</source>
        <translation>%1 of %2 counted.</translation>
    </message>
    <message>
        <source>Cannot close yet:</source>
        <translation>Cannot close yet:</translation>
    </message>
    <message>
        <source>Nothing blocks closing: the D.Hasil can be signed.</source>
        <translation>Nothing blocks closing: the D.Hasil can be signed.</translation>
    </message>
    <message>
        <source>OPEN</source>
        <translation>OPEN</translation>
    </message>
    <message>
        <source>DISPUTED:</source>
        <translation>DISPUTED:</translation>
    </message>
    <message>
        <source>Nothing signed: the key stays locked.</source>
        <translation>Nothing signed: the key stays locked.</translation>
    </message>
    <message>
        <source>Objection recorded and signed: %1</source>
        <translation>Objection recorded and signed: %1</translation>
    </message>
    <message>
        <source>Signing the objection</source>
        <translation>Signing the objection</translation>
    </message>
    <message>
        <source>Choose an objection in the list first.</source>
        <translation>Choose an objection in the list first.</translation>
    </message>
    <message>
        <source>Ruling signed: %1</source>
        <translation>Ruling signed: %1</translation>
    </message>
    <message>
        <source>Signing the ruling</source>
        <translation>Signing the ruling</translation>
    </message>
    <message>
        <source>D.Hasil signed: %1</source>
        <translation>D.Hasil signed: %1</translation>
    </message>
    <message>
        <source>Signing the D.Hasil</source>
        <translation>Signing the D.Hasil</translation>
    </message>
    <message>
        <source>Printed to %1 (%2 pages).</source>
        <translation>Printed to %1 (%2 pages).</translation>
    </message>
    <message>
        <source>Save the D.Hasil as PDF</source>
        <translation>Save the D.Hasil as PDF</translation>
    </message>
    <message>
        <source>Print preview</source>
        <translation>Print preview</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Total</translation>
    </message>
    <message>
        <source>Choose a region in the tree to see its totals.</source>
        <translation>Choose a region in the tree to see its totals.</translation>
    </message>
    <message>
        <source>Totals for %1 (computing…)</source>
        <translation>Totals for %1 (computing…)</translation>
    </message>
    <message>
        <source>Adding up %1</source>
        <translation>Adding up %1</translation>
    </message>
    <message>
        <source>Totals for %1 could not be computed: %2</source>
        <translation>Totals for %1 could not be computed: %2</translation>
    </message>
    <message>
        <source>Totals for %1</source>
        <translation>Totals for %1</translation>
    </message>
    <message>
        <source>Open objections in this region: %1</source>
        <translation>Open objections in this region: %1</translation>
    </message>
    <message>
        <source>%1 of %2 polling stations entered</source>
        <translation>%1 of %2 polling stations entered</translation>
    </message>
    <message>
        <source>Export the totals</source>
        <translation>Export the totals</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>All polling stations</source>
        <translation>All polling stations</translation>
    </message>
    <message>
        <source>Needs attention</source>
        <translation>Needs attention</translation>
    </message>
    <message>
        <source>Not entered yet</source>
        <translation>Not entered yet</translation>
    </message>
    <message>
        <source>Entered</source>
        <translation>Entered</translation>
    </message>
    <message>
        <source>Disputed</source>
        <translation>Disputed</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <source>Find a polling station (code or name)</source>
        <translation>Find a polling station (code or name)</translation>
    </message>
    <message>
        <source>Region / polling station</source>
        <translation>Region / polling station</translation>
    </message>
    <message>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <source>Loading the election…</source>
        <translation>Loading the election…</translation>
    </message>
    <message>
        <source>Looking for the polling stations in this state…</source>
        <translation>Looking for the polling stations in this state…</translation>
    </message>
    <message>
        <source>Polling stations in this state: %1.</source>
        <translation>Polling stations in this state: %1.</translation>
    </message>
    <message>
        <source>The first %1 are opened in the tree.</source>
        <translation>The first %1 are opened in the tree.</translation>
    </message>
    <message>
        <source>Reason for the correction</source>
        <translation>Reason for the correction</translation>
    </message>
    <message>
        <source>Why does this sheet replace the one signed before? (required)</source>
        <translation>Why does this sheet replace the one signed before? (required)</translation>
    </message>
    <message>
        <source>Correct this sheet…</source>
        <translation>Correct this sheet…</translation>
    </message>
    <message>
        <source>Save and sign (Ctrl+S)</source>
        <translation>Save and sign (Ctrl+S)</translation>
    </message>
    <message>
        <source>Choose a polling station in the tree.</source>
        <translation>Choose a polling station in the tree.</translation>
    </message>
    <message>
        <source>Registered voters: %1 · State: %2</source>
        <translation>Registered voters: %1 · State: %2</translation>
    </message>
    <message>
        <source>Another officer has signed this sheet; yours will be compared.</source>
        <translation>Another officer has signed this sheet; yours will be compared.</translation>
    </message>
    <message numerus="yes">
        <source>%n rule(s) broken</source>
        <translation>
            <numerusform>%n rule broken</numerusform>
            <numerusform>%n rules broken</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n warning(s) to check against the paper</source>
        <translation>
            <numerusform>%n warning to check against the paper</numerusform>
            <numerusform>%n warnings to check against the paper</numerusform>
        </translation>
    </message>
    <message>
        <source>I checked the paper form: %1</source>
        <translation>I checked the paper form: %1</translation>
    </message>
    <message>
        <source>Correcting: change the fields, then save; a reason will be asked.</source>
        <translation>Correcting: change the fields, then save; a reason will be asked.</translation>
    </message>
    <message>
        <source>Double entry is for a new sheet or a correction: open one.</source>
        <translation>Double entry is for a new sheet or a correction: open one.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Not saved: %1</translation>
    </message>
    <message>
        <source>Not saved: tick each warning after checking the paper form.</source>
        <translation>Not saved: tick each warning after checking the paper form.</translation>
    </message>
    <message numerus="yes">
        <source>Not saved: %n field(s) still empty or wrong, marked below.</source>
        <translation>
            <numerusform>Not saved: %n field still empty or wrong, marked below.</numerusform>
            <numerusform>Not saved: %n fields still empty or wrong, marked below.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Not saved: %n rule(s) broken, listed below and beside their fields.</source>
        <translation>
            <numerusform>Not saved: %n rule broken, listed below and beside their fields.</numerusform>
            <numerusform>Not saved: %n rules broken, listed below and beside their fields.</numerusform>
        </translation>
    </message>
    <message>
        <source>Not saved: signing despite warnings needs a reason.</source>
        <translation>Not saved: signing despite warnings needs a reason.</translation>
    </message>
    <message>
        <source>Not saved: the key stays locked.</source>
        <translation>Not saved: the key stays locked.</translation>
    </message>
    <message>
        <source>Signing and storing the sheet…</source>
        <translation>Signing and storing the sheet…</translation>
    </message>
    <message>
        <source>Signing and storing the sheet</source>
        <translation>Signing and storing the sheet</translation>
    </message>
    <message>
        <source>Saved and signed. Record %1</source>
        <translation>Saved and signed. Record %1</translation>
    </message>
    <message>
        <source>Reason (required for a rejection):</source>
        <translation>Reason (required for a rejection):</translation>
    </message>
    <message>
        <source>Note (optional):</source>
        <translation>Note (optional):</translation>
    </message>
    <message>
        <source>Polling station</source>
        <translation>Polling station</translation>
    </message>
    <message>
        <source>Contest</source>
        <translation>Contest</translation>
    </message>
    <message>
        <source>Officer</source>
        <translation>Officer</translation>
    </message>
    <message>
        <source>Signature</source>
        <translation>Signature</translation>
    </message>
    <message>
        <source>Chain</source>
        <translation>Chain</translation>
    </message>
    <message>
        <source>Certificate</source>
        <translation>Certificate</translation>
    </message>
    <message>
        <source>Role and region</source>
        <translation>Role and region</translation>
    </message>
    <message>
        <source>Form rules</source>
        <translation>Form rules</translation>
    </message>
    <message>
        <source>approval</source>
        <translation>approval</translation>
    </message>
    <message>
        <source>rejection</source>
        <translation>rejection</translation>
    </message>
    <message>
        <source>damaged row</source>
        <translation>damaged row</translation>
    </message>
    <message>
        <source>Only records with problems</source>
        <translation>Only records with problems</translation>
    </message>
    <message>
        <source>Polling station code</source>
        <translation>Polling station code</translation>
    </message>
    <message>
        <source>Approve sheet…</source>
        <translation>Approve sheet…</translation>
    </message>
    <message>
        <source>Reject sheet…</source>
        <translation>Reject sheet…</translation>
    </message>
    <message>
        <source>Open problems</source>
        <translation>Open problems</translation>
    </message>
    <message>
        <source>Not verified yet in this session.</source>
        <translation>Not verified yet in this session.</translation>
    </message>
    <message>
        <source>Verifying every record…</source>
        <translation>Verifying every record…</translation>
    </message>
    <message>
        <source>Verifying every record</source>
        <translation>Verifying every record</translation>
    </message>
    <message>
        <source>Verification failed: %1</source>
        <translation>Verification failed: %1</translation>
    </message>
    <message>
        <source>Verification cancelled.</source>
        <translation>Verification cancelled.</translation>
    </message>
    <message>
        <source>Open objection at %1%2: %3</source>
        <translation>Open objection at %1%2: %3</translation>
    </message>
    <message>
        <source>Tampered or missing record</source>
        <translation>Tampered or missing record</translation>
    </message>
    <message>
        <source>Record does not verify</source>
        <translation>Record does not verify</translation>
    </message>
    <message>
        <source>Dispute: officers signed different sheets</source>
        <translation>Dispute: officers signed different sheets</translation>
    </message>
    <message>
        <source>Sheet rejected, waiting for a correction</source>
        <translation>Sheet rejected, waiting for a correction</translation>
    </message>
    <message>
        <source>Warning acknowledged by the officer</source>
        <translation>Warning acknowledged by the officer</translation>
    </message>
    <message>
        <source>Not counted: needs attention</source>
        <translation>Not counted: needs attention</translation>
    </message>
    <message>
        <source>Signer revoked: record does not count</source>
        <translation>Signer revoked: record does not count</translation>
    </message>
    <message>
        <source>Signer forked its chain: record does not count</source>
        <translation>Signer forked its chain: record does not count</translation>
    </message>
    <message>
        <source>Approve sheet</source>
        <translation>Approve sheet</translation>
    </message>
    <message>
        <source>Reject sheet</source>
        <translation>Reject sheet</translation>
    </message>
    <message>
        <source>Too short: at least 8 characters.</source>
        <translation>Too short: at least 8 characters.</translation>
    </message>
    <message>
        <source>Weak: a longer passphrase of several words is safer.</source>
        <translation>Weak: a longer passphrase of several words is safer.</translation>
    </message>
    <message>
        <source>Fair: add a word or two.</source>
        <translation>Fair: add a word or two.</translation>
    </message>
    <message>
        <source>Good.</source>
        <translation>Good.</translation>
    </message>
    <message>
        <source>Strong.</source>
        <translation>Strong.</translation>
    </message>
    <message>
        <source>Welcome to Recap Desktop</source>
        <translation>Welcome to Recap Desktop</translation>
    </message>
    <message>
        <source>This laptop has no election yet. Try the program with the DEMO election (invented names and numbers, not a real election), or set it up for a real election with the package and certificate from your election authority.</source>
        <translation>This laptop has no election yet. Try the program with the DEMO election (invented names and numbers, not a real election), or set it up for a real election with the package and certificate from your election authority.</translation>
    </message>
    <message>
        <source>Try the DEMO election</source>
        <translation>Try the DEMO election</translation>
    </message>
    <message>
        <source>Set up for a real election</source>
        <translation>Set up for a real election</translation>
    </message>
    <message>
        <source>Your signing key</source>
        <translation>Your signing key</translation>
    </message>
    <message>
        <source>The key signs every sheet you save. It is sealed with your passphrase.</source>
        <translation>The key signs every sheet you save. It is sealed with your passphrase.</translation>
    </message>
    <message>
        <source>Full name:</source>
        <translation>Full name:</translation>
    </message>
    <message>
        <source>Officer id:</source>
        <translation>Officer id:</translation>
    </message>
    <message>
        <source>Role:</source>
        <translation>Role:</translation>
    </message>
    <message>
        <source>Passphrase:</source>
        <translation>Passphrase:</translation>
    </message>
    <message>
        <source>Passphrase again:</source>
        <translation>Passphrase again:</translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation>The two passphrases differ.</translation>
    </message>
    <message>
        <source>The election package</source>
        <translation>The election package</translation>
    </message>
    <message>
        <source>Choose the package file and type the authority's fingerprint printed with it.</source>
        <translation>Choose the package file and type the authority's fingerprint printed with it.</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <source>Package file:</source>
        <translation>Package file:</translation>
    </message>
    <message>
        <source>Authority fingerprint:</source>
        <translation>Authority fingerprint:</translation>
    </message>
    <message>
        <source>Election package</source>
        <translation>Election package</translation>
    </message>
    <message>
        <source>Certificate request</source>
        <translation>Certificate request</translation>
    </message>
    <message>
        <source>Read this fingerprint to the authority and send them the request file. They return a certificate file, which you import on the next page.</source>
        <translation>Read this fingerprint to the authority and send them the request file. They return a certificate file, which you import on the next page.</translation>
    </message>
    <message>
        <source>Passphrase, to sign the request</source>
        <translation>Passphrase, to sign the request</translation>
    </message>
    <message>
        <source>Request written to %1</source>
        <translation>Request written to %1</translation>
    </message>
    <message>
        <source>Import the certificate file now, or later from the File menu.</source>
        <translation>Import the certificate file now, or later from the File menu.</translation>
    </message>
    <message>
        <source>Certificate file:</source>
        <translation>Certificate file:</translation>
    </message>
    <message>
        <source>Recap Desktop: first start</source>
        <translation>Recap Desktop: first start</translation>
    </message>
    <message>
        <source>Votes per choice</source>
        <translation>Votes per choice</translation>
    </message>
    <message>
        <source>Stations counted: %1 of %2</source>
        <translation>Stations counted: %1 of %2</translation>
    </message>
    <message>
        <source>not a PNG or JPEG image</source>
        <translation>not a PNG or JPEG image</translation>
    </message>
    <message>
        <source>Photos of the paper (zoom: + - 0)</source>
        <translation>Photos of the paper (zoom: + - 0)</translation>
    </message>
    <message>
        <source>Attach photo… (Ctrl+Shift+P)</source>
        <translation>Attach photo… (Ctrl+Shift+P)</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Remove</translation>
    </message>
    <message>
        <source>+ and - zoom, 0 fits the page; drag to move</source>
        <translation>+ and - zoom, 0 fits the page; drag to move</translation>
    </message>
    <message>
        <source>to be signed with the sheet</source>
        <translation>to be signed with the sheet</translation>
    </message>
    <message>
        <source>kept</source>
        <translation>kept</translation>
    </message>
    <message>
        <source>MISSING</source>
        <translation>MISSING</translation>
    </message>
    <message>
        <source>ALTERED</source>
        <translation>ALTERED</translation>
    </message>
    <message>
        <source>photos missing: %1</source>
        <translation>photos missing: %1</translation>
    </message>
    <message>
        <source>photos ALTERED: %1</source>
        <translation>photos ALTERED: %1</translation>
    </message>
    <message>
        <source>No photo of the paper is attached.</source>
        <translation>No photo of the paper is attached.</translation>
    </message>
    <message>
        <source>Attach photos of the C.Hasil pages</source>
        <translation>Attach photos of the C.Hasil pages</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.PNG *.JPG *.JPEG)</source>
        <translation>Images (*.png *.jpg *.jpeg *.PNG *.JPG *.JPEG)</translation>
    </message>
    <message>
        <source>The file %1 cannot be read as an image: %2</source>
        <translation>The file %1 cannot be read as an image: %2</translation>
    </message>
    <message>
        <source>Supervisor's desk</source>
        <translation>Supervisor's desk</translation>
    </message>
    <message>
        <source>Supervisor's desk: open problems</source>
        <translation>Supervisor's desk: open problems</translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) hold sheets that do not count (disputed, rejected, tampered…): see the Supervisor's desk</source>
        <translation>
            <numerusform>%n station holds sheets that do not count (disputed, rejected, tampered…): see the Supervisor's desk</numerusform>
            <numerusform>%n stations hold sheets that do not count (disputed, rejected, tampered…): see the Supervisor's desk</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) verified</source>
        <translation>
            <numerusform>%n record verified</numerusform>
            <numerusform>%n records verified</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n with problems</source>
        <translation>
            <numerusform>%n with problems</numerusform>
            <numerusform>%n with problems</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n open problem(s).</source>
        <translation>
            <numerusform>%n open problem.</numerusform>
            <numerusform>%n open problems.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n dispute(s): officers signed different numbers</source>
        <translation>
            <numerusform>%n dispute: officers signed different numbers</numerusform>
            <numerusform>%n disputes: officers signed different numbers</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) with a tampered or missing record</source>
        <translation>
            <numerusform>%n station with a tampered or missing record</numerusform>
            <numerusform>%n stations with a tampered or missing record</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) with a revoked or forked signer</source>
        <translation>
            <numerusform>%n station with a revoked or forked signer</numerusform>
            <numerusform>%n stations with a revoked or forked signer</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n rejected sheet(s) waiting for a correction</source>
        <translation>
            <numerusform>%n rejected sheet waiting for a correction</numerusform>
            <numerusform>%n rejected sheets waiting for a correction</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n sheet(s) corrected after a supervisor's decision, not reviewed since</source>
        <translation>
            <numerusform>%n sheet corrected after a supervisor's decision, not reviewed since</numerusform>
            <numerusform>%n sheets corrected after a supervisor's decision, not reviewed since</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n open objection(s)</source>
        <translation>
            <numerusform>%n open objection</numerusform>
            <numerusform>%n open objections</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) not counted for another reason</source>
        <translation>
            <numerusform>%n station not counted for another reason</numerusform>
            <numerusform>%n stations not counted for another reason</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n station(s) not entered yet</source>
        <translation>
            <numerusform>%n station not entered yet</numerusform>
            <numerusform>%n stations not entered yet</numerusform>
        </translation>
    </message>
    <message>
        <source>Reload the board</source>
        <translation>Reload the board</translation>
    </message>
    <message>
        <source>Polling station or place</source>
        <translation>Polling station or place</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Why</translation>
    </message>
    <message>
        <source>Reading the board</source>
        <translation>Reading the board</translation>
    </message>
    <message>
        <source>Choose a region in the tree to see its open problems.</source>
        <translation>Choose a region in the tree to see its open problems.</translation>
    </message>
    <message numerus="yes">
        <source>Open problems in %1: %n</source>
        <translation>
            <numerusform>Open problems in %1: %n</numerusform>
            <numerusform>Open problems in %1: %n</numerusform>
        </translation>
    </message>
    <message>
        <source>No open problem in %1.</source>
        <translation>No open problem in %1.</translation>
    </message>
    <message>
        <source>signed differently by %1</source>
        <translation>signed differently by %1</translation>
    </message>
    <message>
        <source>Signing the decision</source>
        <translation>Signing the decision</translation>
    </message>
    <message>
        <source>Signed: version of %1 approved, the other rejected. %2 is counted.</source>
        <translation>Signed: version of %1 approved, the other rejected. %2 is counted.</translation>
    </message>
    <message>
        <source>Dispute at %1 · %2</source>
        <translation>Dispute at %1 · %2</translation>
    </message>
    <message numerus="yes">
        <source>%n field(s) differ (highlighted). Compare with the paper C.Hasil, then approve the version that matches it; the others are rejected with your reason.</source>
        <translation>
            <numerusform>%n field differs (highlighted). Compare with the paper C.Hasil, then approve the version that matches it; the others are rejected with your reason.</numerusform>
            <numerusform>%n fields differ (highlighted). Compare with the paper C.Hasil, then approve the version that matches it; the others are rejected with your reason.</numerusform>
        </translation>
    </message>
    <message>
        <source>The versions differ here</source>
        <translation>The versions differ here</translation>
    </message>
    <message>
        <source>Version %1: %2 (%3)</source>
        <translation>Version %1: %2 (%3)</translation>
    </message>
    <message>
        <source>unknown officer</source>
        <translation>unknown officer</translation>
    </message>
    <message>
        <source>e.g. the paper shows 120 votes for 01, not 102</source>
        <translation>e.g. the paper shows 120 votes for 01, not 102</translation>
    </message>
    <message>
        <source>&amp;Approve the version of:</source>
        <translation>&amp;Approve the version of:</translation>
    </message>
    <message>
        <source>&amp;Reason for rejecting the other(s):</source>
        <translation>&amp;Reason for rejecting the other(s):</translation>
    </message>
    <message>
        <source>Approve and reject (signs)</source>
        <translation>Approve and reject (signs)</translation>
    </message>
    <message>
        <source>Only a supervisor decides a dispute.</source>
        <translation>Only a supervisor decides a dispute.</translation>
    </message>
    <message>
        <source>Version %1: %2</source>
        <translation>Version %1: %2</translation>
    </message>
    <message>
        <source>officer id %1</source>
        <translation>officer id %1</translation>
    </message>
    <message>
        <source>key %1</source>
        <translation>key %1</translation>
    </message>
    <message>
        <source>does not count</source>
        <translation>does not count</translation>
    </message>
    <message>
        <source>Give the reason for rejecting the other version(s).</source>
        <translation>Give the reason for rejecting the other version(s).</translation>
    </message>
    <message>
        <source>Double entry — %1</source>
        <translation>Double entry — %1</translation>
    </message>
    <message>
        <source>Me again (the same operator)</source>
        <translation>Me again (the same operator)</translation>
    </message>
    <message>
        <source>Second typing by:</source>
        <translation>Second typing by:</translation>
    </message>
    <message>
        <source>First typing</source>
        <translation>First typing</translation>
    </message>
    <message>
        <source>Type the paper form. Enter goes to the next field.</source>
        <translation>Type the paper form. Enter goes to the next field.</translation>
    </message>
    <message>
        <source>Second typing</source>
        <translation>Second typing</translation>
    </message>
    <message>
        <source>Type the paper form again. The first typing is hidden: do not look at it.</source>
        <translation>Type the paper form again. The first typing is hidden: do not look at it.</translation>
    </message>
    <message>
        <source>Look at the paper again</source>
        <translation>Look at the paper again</translation>
    </message>
    <message>
        <source>Fields where the two typings differ: %1. Type only these from the paper.</source>
        <translation>Fields where the two typings differ: %1. Type only these from the paper.</translation>
    </message>
    <message>
        <source>Warnings on this sheet</source>
        <translation>Warnings on this sheet</translation>
    </message>
    <message>
        <source>The numbers are consistent, but unusual. Look at the paper form again. If it says the same, give the reason: it is signed with the sheet.</source>
        <translation>The numbers are consistent, but unusual. Look at the paper form again. If it says the same, give the reason: it is signed with the sheet.</translation>
    </message>
    <message>
        <source>&amp;Reason (required):</source>
        <translation>&amp;Reason (required):</translation>
    </message>
    <message>
        <source>e.g. the polling station did not open: flood</source>
        <translation>e.g. the polling station did not open: flood</translation>
    </message>
    <message>
        <source>Sign with this reason</source>
        <translation>Sign with this reason</translation>
    </message>
    <message>
        <source>Back to the form</source>
        <translation>Back to the form</translation>
    </message>
    <message>
        <source>Typing a sheet</source>
        <translation>Typing a sheet</translation>
    </message>
    <message>
        <source>Choose the polling station in the tree (Ctrl+F finds it by name or code) and the contest above the form.</source>
        <translation>Choose the polling station in the tree (Ctrl+F finds it by name or code) and the contest above the form.</translation>
    </message>
    <message>
        <source>Type each number from the paper and press Enter: the next field follows, in the paper's order, and the form scrolls with you.</source>
        <translation>Type each number from the paper and press Enter: the next field follows, in the paper's order, and the form scrolls with you.</translation>
    </message>
    <message>
        <source>A broken rule shows at once beside the field it concerns and in the list at the top; it goes away as soon as the numbers agree.</source>
        <translation>A broken rule shows at once beside the field it concerns and in the list at the top; it goes away as soon as the numbers agree.</translation>
    </message>
    <message>
        <source>Ctrl+S signs and stores the sheet. A warning must be ticked after checking the paper; an error must be fixed first.</source>
        <translation>Ctrl+S signs and stores the sheet. A warning must be ticked after checking the paper; an error must be fixed first.</translation>
    </message>
    <message>
        <source>Correcting a signed sheet</source>
        <translation>Correcting a signed sheet</translation>
    </message>
    <message>
        <source>Open the sheet, choose “Correct this sheet…”, change the numbers and save: a reason is asked, and both versions stay in the history.</source>
        <translation>Open the sheet, choose “Correct this sheet…”, change the numbers and save: a reason is asked, and both versions stay in the history.</translation>
    </message>
    <message>
        <source>The key</source>
        <translation>The key</translation>
    </message>
    <message>
        <source>Your passphrase unlocks your signing key once; the key locks itself after the idle time (Settings) or at once with Ctrl+L.</source>
        <translation>Your passphrase unlocks your signing key once; the key locks itself after the idle time (Settings) or at once with Ctrl+L.</translation>
    </message>
    <message>
        <source>Sending the sheets</source>
        <translation>Sending the sheets</translation>
    </message>
    <message>
        <source>Sheets are sent whenever the central server can be reached (F9 sends now); the status bar says how many are still unsent.</source>
        <translation>Sheets are sent whenever the central server can be reached (F9 sends now); the status bar says how many are still unsent.</translation>
    </message>
    <message>
        <source>Without a network, File &gt; Export a USB bundle writes every record to a file, and the photos of the forms to a folder beside it (copy both); the other laptop imports them with File &gt; Import a USB bundle.</source>
        <translation>Without a network, File &gt; Export a USB bundle writes every record to a file, and the photos of the forms to a folder beside it (copy both); the other laptop imports them with File &gt; Import a USB bundle.</translation>
    </message>
    <message>
        <source>Tools &gt; Receipts from the server lists the server's signed receipts: its proof of what it took from this laptop, and when.</source>
        <translation>Tools &gt; Receipts from the server lists the server's signed receipts: its proof of what it took from this laptop, and when.</translation>
    </message>
    <message>
        <source>Times</source>
        <translation>Times</translation>
    </message>
    <message>
        <source>Times are shown in this laptop's time zone, named after each time; records keep them in UTC.</source>
        <translation>Times are shown in this laptop's time zone, named after each time; records keep them in UTC.</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>Help</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>Receipts from the server</source>
        <translation>Receipts from the server</translation>
    </message>
    <message>
        <source>Reading the receipts…</source>
        <translation>Reading the receipts…</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>Stored</source>
        <translation>Stored</translation>
    </message>
    <message>
        <source>Held already</source>
        <translation>Held already</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>Refused</translation>
    </message>
    <message>
        <source>Server key</source>
        <translation>Server key</translation>
    </message>
    <message>
        <source>Receipt</source>
        <translation>Receipt</translation>
    </message>
    <message numerus="yes">
        <source>%n receipt(s) kept</source>
        <translation>
            <numerusform>%n receipt kept</numerusform>
            <numerusform>%n receipts kept</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n record(s) stored by the server</source>
        <translation>
            <numerusform>%n record stored by the server</numerusform>
            <numerusform>%n records stored by the server</numerusform>
        </translation>
    </message>
    <message>
        <source>No receipt yet: nothing has been sent to the server from this laptop.</source>
        <translation>No receipt yet: nothing has been sent to the server from this laptop.</translation>
    </message>
</context>
</TS>