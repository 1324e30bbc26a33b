import { inject } from "vitest";
import { makeApi } from "./api";

/** The API of the server globalSetup started for the component tests. */
export const api = () => makeApi(inject("apiUrl"));
