import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@cloudscape-design/global-styles/index.css";
import { App } from "./App";
import { loadConfig } from "./config";

const root = createRoot(document.getElementById("root")!);
loadConfig()
  .then((config) => root.render(<StrictMode><App config={config} /></StrictMode>))
  .catch((e: Error) => root.render(<p role="alert">The console could not start: {e.message}</p>));
