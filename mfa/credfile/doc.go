// Package credfile is a lossless editor for the AWS shared credentials file
// (~/.aws/credentials) and the AWS config file (~/.aws/config), the INI
// dialect read by the AWS CLI and the AWS SDKs.
//
// A [File] keeps every byte of its input: comments, blank lines, odd spacing
// around "=", CRLF line endings, a missing final newline, a UTF-8 byte order
// mark, keys outside any section, duplicate sections and indented
// continuation lines (the "s3 =" sub-sections of config files). Parsing then
// calling [File.Bytes] gives back the input byte for byte. An edit
// ([File.Set], [File.Delete], [File.ReplaceSection], [File.DeleteSection])
// changes only the bytes of the section it edits.
//
// Input the editor does not understand is refused with a [*ParseError] naming
// the line, and [Update] never rewrites such a file.
//
// # Dialect
//
// The rules follow the AWS CLI (Python's configparser as used by botocore)
// where it and the Go SDK agree, and the safer reading where they differ:
//
//   - A line whose first non-blank character is '#' or ';' is a comment.
//   - A line indented deeper than the key line above it (blank and comment
//     lines may come between) continues that key's value.
//   - An indented "[...]" line where a continuation line could stand is a
//     parse error: the CLI reads it as part of the value above, the Go SDK
//     as a section header.
//   - "[name]" starts a section. Only whitespace or a '#'/';' comment may
//     follow the closing bracket; anything else is a parse error. Section
//     names are compared after trimming and collapsing inner whitespace, so
//     "[profile  dev]" is "profile dev", as the SDKs read it. Section names are
//     case-sensitive.
//   - "key = value" or "key: value": the first '=' or ':' separates. Key names
//     are compared case-insensitively, because both the CLI and the Go SDK
//     lower-case them.
//   - Values are read as the CLI reads them: everything after the separator,
//     trimmed, with continuation lines joined by "\n". An inline " #" or " ;"
//     stays part of the value as far as the CLI is concerned; the Go SDK cuts
//     it off. [StripInlineComment] applies the Go SDK's rule.
//
// # Files on disk
//
// [CredentialsPath] and [ConfigPath] find the files as the CLI does.
// [Update] edits a file under an advisory lock and replaces it atomically
// with mode 0600, writing nothing when the edit changes nothing. Its
// temporary file (".credentials.iamkit-tmp-RANDOM") lies beside the file a
// symbolic link resolves to; one that a killed writer left behind, a full
// copy of the secrets, is removed by the next writer under the lock.
package credfile
