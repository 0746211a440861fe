/* Embedding the interpreter as xeus-python and pyjs do: a main module linked with
   libpython3.11.a and the libraries in embed-libs.txt, its stdlib found through the
   home given on the command line. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_embed.js PREFIX\n");
        return 2;
    }
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    PyStatus status = PyConfig_SetBytesString(&config, &config.home, argv[1]);
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        Py_ExitStatusException(status);
    }
    int failed = PyRun_SimpleString(
        "import sys, decimal, json, sqlite3, zlib, bz2, lzma, ctypes, xml.parsers.expat, ssl\n"
        "total = decimal.Decimal('1.1') + decimal.Decimal('2.2')\n"
        "parser = xml.parsers.expat.ParserCreate()\n"
        "parser.Parse('<a b=\"1\"/>', True)\n"
        "db = sqlite3.connect(':memory:')\n"
        "print('embedded python', sys.version.split()[0], sys.platform, total,\n"
        "      db.execute('select 6*7').fetchone()[0], ssl.OPENSSL_VERSION.split()[1])\n");
    if (Py_FinalizeEx() < 0) {
        return 1;
    }
    return failed ? 1 : 0;
}
