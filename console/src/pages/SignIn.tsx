import { useState } from "react";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Alert from "@cloudscape-design/components/alert";
import { signIn, SignInError, type Session } from "../auth";
import type { ConsoleConfig } from "../config";

export function SignIn({ config, onSignedIn }: { config: ConsoleConfig; onSignedIn: (s: Session) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SignInError | Error | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(config, username.trim(), password));
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main style={{ maxWidth: 440, margin: "10vh auto" }}>
      <form onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <Form actions={<Button variant="primary" formAction="submit" loading={busy}>Sign in</Button>}>
          <Container header={<Header variant="h1" description="DRS Orchestration console">Sign in</Header>}>
            <SpaceBetween size="m">
              {error && <Alert type="error" header={error instanceof SignInError ? error.code : "Sign-in failed"}>{error.message}</Alert>}
              <FormField label="Email">
                <Input value={username} onChange={(e) => setUsername(e.detail.value)} type="email" autoComplete="username" ariaLabel="Email" autoFocus />
              </FormField>
              <FormField label="Password">
                <Input value={password} onChange={(e) => setPassword(e.detail.value)} type="password" autoComplete="current-password" ariaLabel="Password" />
              </FormField>
            </SpaceBetween>
          </Container>
        </Form>
      </form>
    </main>
  );
}
