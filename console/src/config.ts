/** Runtime settings of a deployment, read from ./console-config.json next to index.html
 * (the local stack writes it; in AWS the deploy uploads it with the built files). */
export interface ConsoleConfig {
  apiUrl: string;
  region: string;
  userPoolId: string;
  clientId: string;
  /** Cognito's endpoint: https://cognito-idp.REGION.amazonaws.com/ in AWS, moto locally. */
  cognitoEndpoint: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const resp = await fetch("./console-config.json", { cache: "no-store" });
  if (!resp.ok) throw new Error(`console-config.json: HTTP ${resp.status}`);
  const cfg = (await resp.json()) as ConsoleConfig;
  return { ...cfg, apiUrl: cfg.apiUrl || window.location.origin };
}
